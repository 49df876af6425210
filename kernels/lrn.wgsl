// Local response normalisation across channels over NCHW, one invocation per element:
// y[n, c, i] = x[n, c, i] / (bias + alpha/size * sum_k x[n, k, i]^2)^beta, k running over
// [c - before, c + after] clipped to [0, C), before = floor((size-1)/2) and
// after = ceil((size-1)/2) (src/ops/lrn.ts). Never in place: neighbours read x[n, c].

override WORKGROUP_SIZE: u32 = 64u;

struct Params {
  N: u32, C: u32, HW: u32,
  before: u32, after: u32,
  // alpha / size
  scale: f32,
  beta: f32,
  bias: f32,
  x_off: u32, y_off: u32,
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let at = flat_index(wid, groups, lid, WORKGROUP_SIZE);
  if (at >= params.N * params.C * params.HW) {
    return;
  }
  let nc = at / params.HW;
  let i = at - nc * params.HW;
  let n = nc / params.C;
  let c = nc - n * params.C;
  let k0 = select(0u, c - params.before, c >= params.before);
  let k1 = min(params.C - 1u, c + params.after);
  var sq = 0.0;
  for (var k = k0; k <= k1; k++) {
    let v = arena[params.x_off + (n * params.C + k) * params.HW + i];
    sq = fma(v, v, sq);
  }
  arena[params.y_off + at] = arena[params.x_off + at] / power(params.bias + params.scale * sq, params.beta);
}

// d^beta as Math.pow gives it where WGSL's pow does not (its d <= 0, NaN and infinities are
// unspecified: on SwiftShader pow(NaN, 0.75) is finite and pow(0, 0.75) is 2e-29), so that a
// NaN or an infinity in the window reaches the output as in the reference: pow(d, 0) = 1,
// pow(NaN, beta) = NaN, pow(0, beta) = 0 (inf for beta < 0), pow(inf, beta) = inf (0 for
// beta < 0), pow(d < 0, beta) = NaN (LRN's d is negative only with a negative bias).
fn power(d: f32, beta: f32) -> f32 {
  if (beta == 0.0) {
    return 1.0;
  }
  if (is_nan(d) || d < 0.0) {
    return nan_f32();
  }
  let big = beta > 0.0;
  if (d == 0.0) {
    return select(inf_f32(), 0.0, big);
  }
  if (!is_finite(d)) {
    return select(0.0, d, big);
  }
  return pow(d, beta);
}

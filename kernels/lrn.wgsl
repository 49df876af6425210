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
  arena[params.y_off + at] = arena[params.x_off + at] / pow(params.bias + params.scale * sq, params.beta);
}

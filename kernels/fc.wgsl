// Fully connected, y[n, m] = act(sum_k x[n, k] * w[m, k] + b[m]), for small batches (a
// matrix-vector product per image): one workgroup per output feature m, its invocations
// striding through K (consecutive invocations, consecutive addresses) and summing their
// partial sums in workgroup memory. Large batches run as a 1x1 conv2d.wgsl instead.

override WORKGROUP_SIZE: u32 = 64u;
override ACT: u32 = ACT_NONE;
override BIAS: bool = true;

struct Params {
  N: u32, K: u32, M: u32,
  x_off: u32, w_off: u32, b_off: u32, y_off: u32,
  p0: f32, p1: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> arena: array<f32>;

var<workgroup> partial: array<f32, WORKGROUP_SIZE>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  // One workgroup per m; the grid may wrap into a second dimension. Uniform per workgroup,
  // so the barriers below are reached by all or none of its invocations.
  let m = wid.y * groups.x + wid.x;
  if (m >= params.M) {
    return;
  }
  let w_row = params.w_off + m * params.K;
  for (var n = 0u; n < params.N; n++) {
    let x_row = params.x_off + n * params.K;
    var s = 0.0;
    for (var k = lid; k < params.K; k += WORKGROUP_SIZE) {
      s = fma(arena[x_row + k], arena[w_row + k], s);
    }
    partial[lid] = s;
    workgroupBarrier();
    for (var half = WORKGROUP_SIZE / 2u; half > 0u; half /= 2u) {
      if (lid < half) {
        partial[lid] += partial[lid + half];
      }
      workgroupBarrier();
    }
    if (lid == 0u) {
      var v = partial[0];
      if (BIAS) {
        v += arena[params.b_off + m];
      }
      arena[params.y_off + n * params.M + m] = activate(ACT, v, params.p0, params.p1);
    }
    workgroupBarrier();
  }
}

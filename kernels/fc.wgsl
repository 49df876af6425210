// Fully connected, y[n, m] = act(sum_k x[n, k] * w[m, k] + b[m]), for small batches: one
// invocation per output, summing its row in registers. No workgroup memory and no barriers:
// a software adapter (SwiftShader) pays dearly for those, and a small batch has little
// reuse to share. Large batches run as a 1x1 conv2d.wgsl (the tiled GEMM) instead.

override WORKGROUP_SIZE: u32 = 64u;

struct Params {
  N: u32, K: u32, M: u32,
  x_off: u32, w_off: u32, b_off: u32, y_off: u32,
  act: u32, bias: u32,
  p0: f32, p1: f32,
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let at = flat_index(wid, groups, lid, WORKGROUP_SIZE);
  if (at >= params.N * params.M) {
    return;
  }
  let n = at / params.M;
  let m = at - n * params.M;
  let x_row = params.x_off + n * params.K;
  let w_row = params.w_off + m * params.K;
  // Four partial sums, so consecutive multiply-adds do not wait on each other.
  var s = vec4<f32>(0.0);
  let K4 = params.K & ~3u;
  for (var k = 0u; k < K4; k += 4u) {
    let xv = vec4<f32>(arena[x_row + k], arena[x_row + k + 1u], arena[x_row + k + 2u], arena[x_row + k + 3u]);
    let wv = vec4<f32>(arena[w_row + k], arena[w_row + k + 1u], arena[w_row + k + 2u], arena[w_row + k + 3u]);
    s = fma(xv, wv, s);
  }
  var v = (s.x + s.y) + (s.z + s.w);
  for (var k = K4; k < params.K; k++) {
    v = fma(arena[x_row + k], arena[w_row + k], v);
  }
  if (params.bias != 0u) {
    v += arena[params.b_off + m];
  }
  arena[params.y_off + at] = activate(params.act, v, params.p0, params.p1);
}

// Global average and max pooling, [N, C, H, W] -> [N, C, 1, 1]: one invocation per plane
// (n, c), reducing its H*W values in registers. No workgroup memory and no barriers: the
// planes of a classifier's last layer are small (7x7, 8x8), and a software adapter
// (SwiftShader) pays dearly for barriers.

const GLOBAL_AVG: u32 = 1u;
const GLOBAL_MAX: u32 = 2u;

override OP: u32 = GLOBAL_AVG;
override WORKGROUP_SIZE: u32 = 64u;

struct Params {
  // planes (N * C), and the values in each (H * W)
  NC: u32, HW: u32,
  x_off: u32, y_off: u32,
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let p = flat_index(wid, groups, lid, WORKGROUP_SIZE);
  if (p >= params.NC) {
    return;
  }
  let base = params.x_off + p * params.HW;
  // The max starts from the plane's first value (a repeat changes no max), the sum from 0.
  var acc = 0.0;
  if (OP == GLOBAL_MAX) {
    acc = arena[base];
  }
  for (var i = 0u; i < params.HW; i++) {
    let v = arena[base + i];
    if (OP == GLOBAL_MAX) {
      acc = nan_max(acc, v);
    } else {
      acc += v;
    }
  }
  if (OP == GLOBAL_AVG) {
    acc /= f32(params.HW);
  }
  arena[params.y_off + p] = acc;
}

// Reductions over any axes (src/ops/reduce.ts): the loops of reduceLayout, four kept groups
// (the output, row-major) and four reduced groups, each an extent and a stride of x in
// elements. One invocation per output.

override WORKGROUP_SIZE: u32 = 64u;
// 0 sum, 1 mean, 2 max.
override OP: u32 = 0u;

struct Params {
  count: u32,
  kd0: u32, kd1: u32, kd2: u32, kd3: u32,
  ks0: u32, ks1: u32, ks2: u32, ks3: u32,
  rd0: u32, rd1: u32, rd2: u32, rd3: u32,
  rs0: u32, rs1: u32, rs2: u32, rs3: u32,
  scale: f32,
  x_off: u32, y_off: u32,
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let at = flat_index(wid, groups, lid, WORKGROUP_SIZE);
  if (at >= params.count) {
    return;
  }
  var rest = at;
  let k3 = rest % params.kd3;
  rest = rest / params.kd3;
  let k2 = rest % params.kd2;
  rest = rest / params.kd2;
  let k1 = rest % params.kd1;
  let k0 = rest / params.kd1;
  let base = params.x_off + k0 * params.ks0 + k1 * params.ks1 + k2 * params.ks2 + k3 * params.ks3;
  var acc = 0.0;
  if (OP == 2u) {
    acc = -inf_f32();
  }
  for (var r0 = 0u; r0 < params.rd0; r0++) {
    for (var r1 = 0u; r1 < params.rd1; r1++) {
      for (var r2 = 0u; r2 < params.rd2; r2++) {
        var x = base + r0 * params.rs0 + r1 * params.rs1 + r2 * params.rs2;
        for (var r3 = 0u; r3 < params.rd3; r3++) {
          if (OP == 2u) {
            // A NaN wins, as numpy and PyTorch (WGSL's max may drop it).
            acc = nan_max(acc, arena[x]);
          } else {
            acc += arena[x];
          }
          x += params.rs3;
        }
      }
    }
  }
  if (OP == 1u) {
    acc *= params.scale;
  }
  arena[params.y_off + at] = acc;
}

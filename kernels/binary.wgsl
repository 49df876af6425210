// Binary elementwise ops with NumPy broadcasting, one invocation per output element:
// y[o] = a[ia] OP b[ib]. The broadcast arrives collapsed (collapseBroadcast of
// src/ops/broadcast.ts) to at most 6 axes, left-padded with extent 1: d0..d5 the output's
// extents (d5 innermost), a0..a5 and b0..b5 each input's element stride per axis (0 where
// it broadcasts). In place when y is a's or b's storage: that input then has y's shape and
// each invocation reads its own element before writing it.

const BINARY_ADD: u32 = 1u;
const BINARY_MUL: u32 = 2u;

override OP: u32 = BINARY_ADD;
override WORKGROUP_SIZE: u32 = 64u;

struct Params {
  count: u32,
  a_off: u32, b_off: u32, y_off: u32,
  d0: u32, d1: u32, d2: u32, d3: u32, d4: u32, d5: u32,
  a0: u32, a1: u32, a2: u32, a3: u32, a4: u32, a5: u32,
  b0: u32, b1: u32, b2: u32, b3: u32, b4: u32, b5: u32,
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let o = flat_index(wid, groups, lid, WORKGROUP_SIZE);
  if (o >= params.count) {
    return;
  }
  var dims = array<u32, 6>(params.d0, params.d1, params.d2, params.d3, params.d4, params.d5);
  var sa = array<u32, 6>(params.a0, params.a1, params.a2, params.a3, params.a4, params.a5);
  var sb = array<u32, 6>(params.b0, params.b1, params.b2, params.b3, params.b4, params.b5);
  // The output index's digits, innermost axis first.
  var rest = o;
  var ia = 0u;
  var ib = 0u;
  for (var k = 5; k >= 0; k--) {
    let q = rest / dims[k];
    let digit = rest - q * dims[k];
    rest = q;
    ia += digit * sa[k];
    ib += digit * sb[k];
  }
  let a = arena[params.a_off + ia];
  let b = arena[params.b_off + ib];
  if (OP == BINARY_MUL) {
    arena[params.y_off + o] = a * b;
  } else {
    arena[params.y_off + o] = a + b;
  }
}

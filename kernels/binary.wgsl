// Binary elementwise ops with NumPy broadcasting, one invocation per output element:
// y[o] = a[ia] OP b[ib]. The broadcast arrives collapsed (collapseBroadcast of
// src/ops/broadcast.ts) to at most 6 axes, left-padded with extent 1: d0..d5 the output's
// extents (d5 innermost), a0..a5 and b0..b5 each input's element stride per axis (0 where
// it broadcasts). In place when y is a's or b's storage: that input then has y's shape and
// each invocation reads its own element before writing it.

const BINARY_ADD: u32 = 1u;
const BINARY_MUL: u32 = 2u;
const BINARY_SUB: u32 = 3u;
const BINARY_DIV: u32 = 4u;
const BINARY_POW: u32 = 5u;

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
  } else if (OP == BINARY_SUB) {
    arena[params.y_off + o] = a - b;
  } else if (OP == BINARY_DIV) {
    arena[params.y_off + o] = a / b;
  } else if (OP == BINARY_POW) {
    arena[params.y_off + o] = pow_c(a, b);
  } else {
    arena[params.y_off + o] = a + b;
  }
}

// a ** b with C's rules (the reference's powC): WGSL's pow is undefined for a < 0, so
// |a|^b = exp2(b log2 |a|), negated for a < 0 and an odd integer b, NaN for a < 0 and a
// non-integer b; pow(a, 0) = pow(1, b) = pow(-1, +-inf) = 1; b = 2 is a * a, exactly.
// NaN and infinities are tested by their bits (is_nan, is_finite of common.wgsl).
fn pow_c(a: f32, b: f32) -> f32 {
  if (b == 0.0 || a == 1.0 || (a == -1.0 && !is_finite(b) && !is_nan(b))) {
    return 1.0;
  }
  if (is_nan(a) || is_nan(b)) {
    return nan_f32();
  }
  if (b == 2.0) {
    return a * a;
  }
  let m = abs(a);
  var r: f32;
  if (m == 0.0) {
    r = select(inf_f32(), 0.0, b > 0.0);
  } else if (!is_finite(m)) {
    r = select(0.0, inf_f32(), b > 0.0);
  } else if (!is_finite(b)) {
    r = select(select(inf_f32(), 0.0, m < 1.0), select(0.0, inf_f32(), m < 1.0), b < 0.0);
  } else {
    r = exp2(b * log2(m));
  }
  if (a < 0.0 || (a == 0.0 && (bitcast<u32>(a) & 0x80000000u) != 0u)) {
    if (!is_finite(b) || floor(b) != b) {
      return select(nan_f32(), r, !is_finite(b) || a == 0.0);
    }
    let odd = floor(b * 0.5) != b * 0.5;
    return select(r, -r, odd);
  }
  return r;
}

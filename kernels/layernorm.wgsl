// Layer normalisation over the middle axis of [outer, len, inner] (layerNormLayout of
// src/ops/layernorm.ts): one invocation per vector (o, i) of `len` values `inner` apart.
// Mean first, then the variance of the centred values, as the reference.

override WORKGROUP_SIZE: u32 = 64u;
override SCALE: bool = false;
override BIAS: bool = false;

struct Params {
  outer: u32, len: u32, inner: u32,
  eps: f32,
  x_off: u32, y_off: u32, s_off: u32, b_off: u32,
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let row = flat_index(wid, groups, lid, WORKGROUP_SIZE);
  if (row >= params.outer * params.inner) {
    return;
  }
  let o = row / params.inner;
  let i = row - o * params.inner;
  let start = o * params.len * params.inner + i;
  let x = params.x_off + start;
  let y = params.y_off + start;
  let n = f32(params.len);
  var sum = 0.0;
  for (var k = 0u; k < params.len; k++) {
    sum += arena[x + k * params.inner];
  }
  let mean = sum / n;
  var sq = 0.0;
  for (var k = 0u; k < params.len; k++) {
    let d = arena[x + k * params.inner] - mean;
    sq += d * d;
  }
  let inv = 1.0 / sqrt(sq / n + params.eps);
  for (var k = 0u; k < params.len; k++) {
    var v = (arena[x + k * params.inner] - mean) * inv;
    if (SCALE) {
      v *= arena[params.s_off + k];
    }
    if (BIAS) {
      v += arena[params.b_off + k];
    }
    arena[y + k * params.inner] = v;
  }
}

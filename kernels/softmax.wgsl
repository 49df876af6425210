// Softmax over rows of `len` values `inner` apart: the tensor seen as [outer, len, inner]
// (softmaxLayout of src/ops/softmax.ts; coerce2d is inner = 1), one invocation per row
// (o, i): y = exp(x - max) / sum(exp(x - max)). In place when y_off == x_off: each row is
// one invocation's, and each element is read before it is written.

override WORKGROUP_SIZE: u32 = 64u;

struct Params {
  outer: u32, len: u32, inner: u32,
  x_off: u32, y_off: u32,
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
  // Element k of the row at start + k * inner.
  let start = o * params.len * params.inner + i;
  let x = params.x_off + start;
  let y = params.y_off + start;
  // The max as Math.max takes it: a NaN wins (WGSL's max may drop it).
  var m = arena[x];
  for (var k = 1u; k < params.len; k++) {
    m = nan_max(m, arena[x + k * params.inner]);
  }
  // A row holding NaN or +inf (inf - inf), or only -inf (-inf - -inf), is all NaN in the
  // reference and in PyTorch. Written directly: exp(NaN) is +inf on SwiftShader.
  if (!is_finite(m)) {
    for (var k = 0u; k < params.len; k++) {
      arena[y + k * params.inner] = nan_f32();
    }
    return;
  }
  // m finite: x - m is in [-inf, 0], and exp(-inf) = 0 (a -inf in the row gives 0).
  var sum = 0.0;
  for (var k = 0u; k < params.len; k++) {
    sum += exp(arena[x + k * params.inner] - m);
  }
  for (var k = 0u; k < params.len; k++) {
    let at = k * params.inner;
    arena[y + at] = exp(arena[x + at] - m) / sum;
  }
}

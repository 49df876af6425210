// The layout ops (transpose, slice and each output of split, channel shuffle) as one strided
// gather, one invocation per output element: y[o] = x[sum(digit_k * s_k)], where the digits
// are o's in the output extents d0..d5 (d5 innermost). The view arrives merged to at most 6
// axes (src/ops/layout-view.ts), left-padded with extent 1; its offset is folded into x_off.
// Strides are signed: a slice with a negative step walks its axis backwards.

override WORKGROUP_SIZE: u32 = 64u;

struct Params {
  count: u32,
  x_off: u32, y_off: u32,
  d0: u32, d1: u32, d2: u32, d3: u32, d4: u32, d5: u32,
  s0: i32, s1: i32, s2: i32, s3: i32, s4: i32, s5: i32,
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
  var strides = array<i32, 6>(params.s0, params.s1, params.s2, params.s3, params.s4, params.s5);
  var rest = o;
  var ix = i32(params.x_off);
  for (var k = 5; k >= 0; k--) {
    let q = rest / dims[k];
    ix += i32(rest - q * dims[k]) * strides[k];
    rest = q;
  }
  arena[params.y_off + o] = arena[u32(ix)];
}

// Block copy: y[y_off + o*y_stride + r] = x[x_off + o*x_stride + r] for o < outer, r < inner.
// A reshape or identity the planner could not place in place is one block; concat copies
// each input into its slot of the output, outer = the product of the axes before `axis`.

override WORKGROUP_SIZE: u32 = 64u;

struct Params {
  outer: u32,
  inner: u32,
  x_off: u32,
  x_stride: u32,
  y_off: u32,
  y_stride: u32,
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let i = flat_index(wid, groups, lid, WORKGROUP_SIZE);
  if (i >= params.outer * params.inner) {
    return;
  }
  let o = i / params.inner;
  let r = i - o * params.inner;
  arena[params.y_off + o * params.y_stride + r] = arena[params.x_off + o * params.x_stride + r];
}

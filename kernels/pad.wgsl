// Constant padding (ONNX Pad, mode constant) of a tensor of rank <= 6, one invocation per
// output element: y[idx] = x[idx - begin] inside the input, else `value`. The shapes arrive
// left-padded to 6 axes with extent 1 and pad 0: x0..x5 the input's extents, y0..y5 the
// output's, p0..p5 the begin pads (negative: cropped). Never in place.

override WORKGROUP_SIZE: u32 = 64u;

struct Params {
  count: u32,
  x_off: u32, y_off: u32,
  value: f32,
  x0: u32, x1: u32, x2: u32, x3: u32, x4: u32, x5: u32,
  y0: u32, y1: u32, y2: u32, y3: u32, y4: u32, y5: u32,
  p0: i32, p1: i32, p2: i32, p3: i32, p4: i32, p5: i32,
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
  var xd = array<u32, 6>(params.x0, params.x1, params.x2, params.x3, params.x4, params.x5);
  var yd = array<u32, 6>(params.y0, params.y1, params.y2, params.y3, params.y4, params.y5);
  var pads = array<i32, 6>(params.p0, params.p1, params.p2, params.p3, params.p4, params.p5);
  // Innermost axis first: the output index's digit on each axis, and the input element's
  // index built up with the input's row-major strides.
  var rest = o;
  var src = 0u;
  var stride = 1u;
  var inside = true;
  for (var k = 5; k >= 0; k--) {
    let q = rest / yd[k];
    let i = i32(rest - q * yd[k]) - pads[k];
    rest = q;
    if (i < 0 || i >= i32(xd[k])) {
      inside = false;
      break;
    }
    src += u32(i) * stride;
    stride *= xd[k];
  }
  if (inside) {
    arena[params.y_off + o] = arena[params.x_off + src];
  } else {
    arena[params.y_off + o] = params.value;
  }
}

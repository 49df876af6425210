// conv2d computed directly, one invocation per output: for depthwise convolutions (one
// input channel per group) and convolutions too small in K or in output channels for the
// tiled GEMM's tiles to pay. Same parameters and epilogue as conv2d.wgsl.

override WORKGROUP_SIZE: u32 = 64u;
override ACT: u32 = ACT_NONE;
override RESIDUAL: bool = false;
override BIAS: bool = true;

struct Params {
  N: u32, C: u32, H: u32, W: u32,
  OH: u32, OW: u32,
  M: u32, Mg: u32, Cg: u32,
  KH: u32, KW: u32,
  sh: u32, sw: u32,
  pt: i32, pl: i32,
  dh: u32, dw: u32,
  x_off: u32, w_off: u32, b_off: u32, r_off: u32, y_off: u32,
  p0: f32, p1: f32,
}

// The first tap t with origin + t*dilation >= 0.
fn tap_first(origin: i32, dilation: u32) -> u32 {
  if (origin >= 0) {
    return 0u;
  }
  return (u32(-origin) + dilation - 1u) / dilation;
}

// One past the last tap t < taps with origin + t*dilation < extent.
fn tap_end(origin: i32, dilation: u32, extent: u32, taps: u32) -> u32 {
  let room = i32(extent) - origin;
  if (room <= 0) {
    return 0u;
  }
  return min(taps, (u32(room) + dilation - 1u) / dilation);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let at = flat_index(wid, groups, lid, WORKGROUP_SIZE);
  let plane = params.OH * params.OW;
  if (at >= params.N * params.M * plane) {
    return;
  }
  let nm = at / plane;
  let s = at - nm * plane;
  let n = nm / params.M;
  let m = nm - n * params.M;
  let oh = s / params.OW;
  let ow = s - oh * params.OW;
  let g = m / params.Mg;
  let ih0 = i32(oh * params.sh) - params.pt;
  let iw0 = i32(ow * params.sw) - params.pl;
  // The taps inside the input, found once: the loops below test no bounds.
  let i_lo = tap_first(ih0, params.dh);
  let i_hi = tap_end(ih0, params.dh, params.H, params.KH);
  let j_lo = tap_first(iw0, params.dw);
  let j_hi = tap_end(iw0, params.dw, params.W, params.KW);
  let x_base = params.x_off + (n * params.C + g * params.Cg) * params.H * params.W;
  let w_base = params.w_off + m * params.Cg * params.KH * params.KW;
  let x_step = params.H * params.W;
  let w_step = params.KH * params.KW;
  var acc = 0.0;
  for (var i = i_lo; i < i_hi; i++) {
    let x_row = x_base + u32(ih0 + i32(i * params.dh)) * params.W;
    for (var j = j_lo; j < j_hi; j++) {
      var x_at = x_row + u32(iw0 + i32(j * params.dw));
      var w_at = w_base + i * params.KW + j;
      for (var c = 0u; c < params.Cg; c++) {
        acc = fma(arena[w_at], arena[x_at], acc);
        x_at += x_step;
        w_at += w_step;
      }
    }
  }
  // Padding is zeros times the weight (ONNX pads, then convolves): 0 x a NaN or infinite
  // weight is NaN. Only windows that reach into the padding look.
  if (i_lo > 0u || i_hi < params.KH || j_lo > 0u || j_hi < params.KW) {
    for (var i = 0u; i < params.KH; i++) {
      for (var j = 0u; j < params.KW; j++) {
        if (i >= i_lo && i < i_hi && j >= j_lo && j < j_hi) {
          continue;
        }
        var w_at = w_base + i * params.KW + j;
        for (var c = 0u; c < params.Cg; c++) {
          if (!is_finite(arena[w_at])) {
            acc = nan_f32();
          }
          w_at += w_step;
        }
      }
    }
  }
  if (BIAS) {
    acc += arena[params.b_off + m];
  }
  if (RESIDUAL) {
    acc += arena[params.r_off + at];
  }
  arena[params.y_off + at] = activate(ACT, acc, params.p0, params.p1);
}

// conv2d computed directly, without staging in workgroup memory: for depthwise convolutions
// (one input channel per group) and convolutions too small in K or in output pixels for
// the tiled GEMM's tiles to pay. Same parameters and epilogue as conv2d.wgsl.
//
// Each invocation computes a block of MB output channels (4, or 1 for depthwise) by 4
// adjacent output pixels of one row (or, with SINGLE, one output), in MB named vec4 accumulators: per tap it loads MB
// weights and 4 inputs for 4 x MB multiply-adds, where one output per invocation loaded
// two values per multiply-add (on SwiftShader, which gathers every storage load lane by
// lane, 6x faster on LeNet-5's first conv). Taps outside the input read a clamped address
// and multiply 0: padding is zeros times the weight (ONNX pads, then convolves), so a NaN
// or infinite weight makes its padded taps NaN, as on the reference backend.

override WORKGROUP_SIZE: u32 = 64u;
// Output channels per invocation: 4, or 1 when a group has one (depthwise).
override MB: u32 = 4u;
// Stride 1 and dilation 1 along the width: each tap shifts the inputs by one.
override UNIT_W: bool = false;
// One output per invocation instead (rows narrower than 4 pixels: a late stage at a small
// input, where blocks of 4 pixels would be mostly empty lanes).
override SINGLE: bool = false;

struct Params {
  N: u32, C: u32, H: u32, W: u32,
  OH: u32, OW: u32,
  M: u32, Mg: u32, Cg: u32,
  KH: u32, KW: u32,
  sh: u32, sw: u32,
  pt: i32, pl: i32,
  dh: u32, dw: u32,
  G: u32, MBG: u32, OWB: u32,
  x_off: u32, w_off: u32, b_off: u32, r_off: u32, y_off: u32,
  act: u32, bias: u32, residual: u32,
  p0: f32, p1: f32,
}

// The input at column iw of row x_row, or 0 outside the input (read at a clamped address).
fn load_x(x_row: u32, iw: i32, row_in: bool) -> f32 {
  let v = arena[x_row + u32(clamp(iw, 0, i32(params.W) - 1))];
  return select(0.0, v, row_in && iw >= 0 && iw < i32(params.W));
}

// Bias, residual and activation for output channel m's pixels [ow0, ow0 + 4) of row `row`
// (the flat index of its first pixel), writing only those inside the row.
fn finish(m: u32, row: u32, ow0: u32, acc: vec4<f32>) {
  var v = acc;
  if (params.bias != 0u) {
    v += vec4<f32>(arena[params.b_off + m]);
  }
  for (var q = 0u; q < 4u; q++) {
    if (ow0 + q >= params.OW) {
      break;
    }
    let at = row + q;
    var o = v[q];
    if (params.residual != 0u) {
      o += arena[params.r_off + at];
    }
    arena[params.y_off + at] = activate(params.act, o, params.p0, params.p1);
  }
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

// Output `at` of the flat [N, M, OH, OW] output, alone: the taps inside the input found
// once, so the loops test no bounds, with the input channels innermost.
fn single_output(at: u32) {
  let plane = params.OH * params.OW;
  let nm = at / plane;
  let s = at - nm * plane;
  let n = nm / params.M;
  let m = nm - n * params.M;
  let oh = s / params.OW;
  let ow = s - oh * params.OW;
  let g = m / params.Mg;
  let ih0 = i32(oh * params.sh) - params.pt;
  let iw0 = i32(ow * params.sw) - params.pl;
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
  // The taps in the padding add 0 x weight: nothing, unless a weight is NaN or infinite.
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
  if (params.bias != 0u) {
    acc += arena[params.b_off + m];
  }
  if (params.residual != 0u) {
    acc += arena[params.r_off + at];
  }
  arena[params.y_off + at] = activate(params.act, acc, params.p0, params.p1);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  // The invocation's block: ((((n * G + g) * MBG + mb) * OH + oh) * OWB + ob.
  var at = flat_index(wid, groups, lid, WORKGROUP_SIZE);
  if (SINGLE) {
    if (at < params.N * params.M * params.OH * params.OW) {
      single_output(at);
    }
    return;
  }
  if (at >= params.N * params.G * params.MBG * params.OH * params.OWB) {
    return;
  }
  let ob = at % params.OWB;
  at /= params.OWB;
  let oh = at % params.OH;
  at /= params.OH;
  let mb = at % params.MBG;
  at /= params.MBG;
  let g = at % params.G;
  let n = at / params.G;
  let m0 = g * params.Mg + mb * MB;
  // Channels past the group's end compute a copy of its last one and store nothing.
  let last = g * params.Mg + params.Mg - 1u;
  let taps = params.KH * params.KW;
  let w_step = params.Cg * taps;
  let w0 = params.w_off + m0 * w_step;
  let w1 = params.w_off + min(m0 + 1u, last) * w_step;
  let w2 = params.w_off + min(m0 + 2u, last) * w_step;
  let w3 = params.w_off + min(m0 + 3u, last) * w_step;
  let ow0 = ob * 4u;
  let ih0 = i32(oh * params.sh) - params.pt;
  let iw0 = i32(ow0 * params.sw) - params.pl;
  let sw = i32(params.sw);
  let Hi = i32(params.H);
  let plane = params.H * params.W;
  let x_base = params.x_off + (n * params.C + g * params.Cg) * plane;
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var c = 0u; c < params.Cg; c++) {
    let x_plane = x_base + c * plane;
    let w_c = c * taps;
    for (var i = 0u; i < params.KH; i++) {
      let ih = ih0 + i32(i * params.dh);
      let row_in = ih >= 0 && ih < Hi;
      let x_row = x_plane + u32(clamp(ih, 0, Hi - 1)) * params.W;
      var wt = w_c + i * params.KW;
      if (UNIT_W) {
        // Stride and dilation 1 along the row: the 4 pixels' inputs at tap j + 1 are those
        // at tap j shifted by one, so each tap loads one new input.
        var xv = vec4<f32>(0.0, load_x(x_row, iw0, row_in), load_x(x_row, iw0 + 1, row_in), load_x(x_row, iw0 + 2, row_in));
        for (var j = 0u; j < params.KW; j++) {
          xv = vec4<f32>(xv.yzw, load_x(x_row, iw0 + i32(j) + 3, row_in));
          acc0 = fma(vec4<f32>(arena[w0 + wt]), xv, acc0);
          if (MB == 4u) {
            acc1 = fma(vec4<f32>(arena[w1 + wt]), xv, acc1);
            acc2 = fma(vec4<f32>(arena[w2 + wt]), xv, acc2);
            acc3 = fma(vec4<f32>(arena[w3 + wt]), xv, acc3);
          }
          wt++;
        }
      } else {
        for (var j = 0u; j < params.KW; j++) {
          let iw = iw0 + i32(j * params.dw);
          let xv = vec4<f32>(load_x(x_row, iw, row_in), load_x(x_row, iw + sw, row_in), load_x(x_row, iw + 2 * sw, row_in), load_x(x_row, iw + 3 * sw, row_in));
          acc0 = fma(vec4<f32>(arena[w0 + wt]), xv, acc0);
          if (MB == 4u) {
            acc1 = fma(vec4<f32>(arena[w1 + wt]), xv, acc1);
            acc2 = fma(vec4<f32>(arena[w2 + wt]), xv, acc2);
            acc3 = fma(vec4<f32>(arena[w3 + wt]), xv, acc3);
          }
          wt++;
        }
      }
    }
  }
  let row = ((n * params.M + m0) * params.OH + oh) * params.OW + ow0;
  let out_plane = params.OH * params.OW;
  finish(m0, row, ow0, acc0);
  if (MB == 4u) {
    if (m0 + 1u <= last) {
      finish(m0 + 1u, row + out_plane, ow0, acc1);
    }
    if (m0 + 2u <= last) {
      finish(m0 + 2u, row + 2u * out_plane, ow0, acc2);
    }
    if (m0 + 3u <= last) {
      finish(m0 + 3u, row + 3u * out_plane, ow0, acc3);
    }
  }
}

// qconv2d: a convolution on 8-bit integers (src/ops/qconv2d.ts), as onnxruntime's QLinearConv
// computes it, in two dispatches (STAGE):
//
// 0: quantize x (float32, on its grid) into packed words of 4 signed bytes, x_off -> q_off (the
//    scratch region), laid out [N, H, W, G, Cg4]: 4 consecutive input channels of a group at one
//    pixel per word. A byte holds xq - off, off = 128 for uint8 (so it fits a signed byte) and 0
//    for int8; channels past the group's Cg hold 0 (their weights are 0).
// 1: the convolution. An invocation computes 4 output channels of a group by 4 adjacent pixels
//    of an output row: per tap and word of 4 input channels it loads 4 input words and 4 weight
//    words (packed at compile, [M, KH, KW, Cg4]) for 16 dot4I8Packed, 64 multiply-adds.
//    Taps in the padding read pad_word, 4 bytes of zp - off: with xq - zp = 0 there, the sum
//    over the whole window of (xq - off) * w is the conv's sum plus (zp - off) * sum(w), which
//    the per-channel int32 bias (c_off, computed at compile) takes off again. Then
//    onnxruntime's requantization in float32: round(f32(acc + bias) * multiplier), ties to
//    even, clamped to [ylo, yhi] (the output type's range, narrowed by ReLU / Clip), times
//    y_scale. The multipliers follow the biases at c_off + M.
//
// A depthwise conv (one input channel a group) runs instead as integers on float32 lanes,
// exactly (src/backends/webgpu/kernels/qconv2d.ts checks |bias| + KH KW 128 255 < 2^24, so
// every partial sum is an integer float32 holds): STAGE 2 writes x quantized, xq - zp as
// floats [N, C, H, W], to the scratch region; kernels/conv2d-direct.wgsl convolves them with
// the integer weights and bias; STAGE 3 requantizes its sums in place, as finish() does.
//
// Where the adapter lacks the WGSL language feature packed_4x8_integer_dot_product,
// src/backends/webgpu/wgsl.ts calls dot4I8Unpacked (kernels/common.wgsl) instead: the same sums.
// The words live in the f32 storage buffer as their bits (bitcast both ways, never arithmetic).

override WORKGROUP_SIZE: u32 = 64u;
override STAGE: u32 = 1u;

struct Params {
  N: u32, C: u32, H: u32, W: u32,
  OH: u32, OW: u32,
  M: u32, Mg: u32, Cg: u32, Cg4: u32, G: u32,
  KH: u32, KW: u32,
  sh: u32, sw: u32,
  pt: i32, pl: i32,
  dh: u32, dw: u32,
  MBG: u32, OWB: u32,
  count: u32,
  x_off: u32, q_off: u32, w_off: u32, c_off: u32, y_off: u32,
  qlo: f32, zp_off: i32, pad_word: u32,
  x_scale: f32, y_scale: f32, ylo: f32, yhi: f32,
}

// QuantizeLinear less the zero point: round(x / scale), ties to even, clamped; NaN to the lowest value (as qdq).
fn quantize(v: f32) -> f32 {
  let q = round(v / params.x_scale);
  return select(clamp(q, params.qlo, params.qlo + 255.0), params.qlo, is_nan(q));
}

// Word i of the packed input ([N, H, W, G, Cg4]).
fn pack(i: u32) {
  let c4 = i % params.Cg4;
  var t = i / params.Cg4;
  let g = t % params.G;
  t /= params.G;
  let w = t % params.W;
  t /= params.W;
  let h = t % params.H;
  let n = t / params.H;
  let plane = params.H * params.W;
  var word = 0u;
  for (var k = 0u; k < 4u; k++) {
    let c = c4 * 4u + k;
    if (c >= params.Cg) {
      break;
    }
    let r = quantize(arena[params.x_off + (n * params.C + g * params.Cg + c) * plane + h * params.W + w]);
    word |= (u32(i32(r) + params.zp_off) & 0xffu) << (8u * k);
  }
  arena[params.q_off + i] = bitcast<f32>(word);
}

// Where the packed words of (ih, iw) of image n, group g start: a clamped address outside the
// input, where the padding's word is used instead (inside(), below).
fn x_base(n: u32, g: u32, ih: i32, iw: i32) -> u32 {
  let h = u32(clamp(ih, 0, i32(params.H) - 1));
  let w = u32(clamp(iw, 0, i32(params.W) - 1));
  return params.q_off + (((n * params.H + h) * params.W + w) * params.G + g) * params.Cg4;
}

fn inside(ih: i32, iw: i32) -> bool {
  return ih >= 0 && ih < i32(params.H) && iw >= 0 && iw < i32(params.W);
}

fn conv(i: u32) {
  let owb = i % params.OWB;
  var t = i / params.OWB;
  let oh = t % params.OH;
  t /= params.OH;
  let mb = t % params.MBG;
  t /= params.MBG;
  let g = t % params.G;
  let n = t / params.G;
  let ow0 = owb * 4u;
  // The block's 4 output channels, the last clamped onto the group's (computed, not stored).
  let mg0 = mb * 4u;
  let m0 = g * params.Mg + mg0;
  let last = g * params.Mg + params.Mg - 1u;
  let ms = vec4<u32>(m0, min(m0 + 1u, last), min(m0 + 2u, last), min(m0 + 3u, last));
  let taps = params.KH * params.KW * params.Cg4;
  var acc0 = vec4<i32>(0);
  var acc1 = vec4<i32>(0);
  var acc2 = vec4<i32>(0);
  var acc3 = vec4<i32>(0);
  for (var kh = 0u; kh < params.KH; kh++) {
    let ih = i32(oh * params.sh + kh * params.dh) - params.pt;
    for (var kw = 0u; kw < params.KW; kw++) {
      let iw = i32(ow0 * params.sw + kw * params.dw) - params.pl;
      let step = i32(params.sw);
      let w_at = params.w_off + (kh * params.KW + kw) * params.Cg4;
      // The 4 pixels' words, found once per tap.
      let b = vec4<u32>(x_base(n, g, ih, iw), x_base(n, g, ih, iw + step), x_base(n, g, ih, iw + 2 * step), x_base(n, g, ih, iw + 3 * step));
      let in = vec4<bool>(inside(ih, iw), inside(ih, iw + step), inside(ih, iw + 2 * step), inside(ih, iw + 3 * step));
      for (var c4 = 0u; c4 < params.Cg4; c4++) {
        let words = vec4<u32>(bitcast<u32>(arena[b.x + c4]), bitcast<u32>(arena[b.y + c4]), bitcast<u32>(arena[b.z + c4]), bitcast<u32>(arena[b.w + c4]));
        let x = select(vec4<u32>(params.pad_word), words, in);
        let w0 = bitcast<u32>(arena[w_at + ms.x * taps + c4]);
        let w1 = bitcast<u32>(arena[w_at + ms.y * taps + c4]);
        let w2 = bitcast<u32>(arena[w_at + ms.z * taps + c4]);
        let w3 = bitcast<u32>(arena[w_at + ms.w * taps + c4]);
        acc0 += vec4<i32>(dot4I8Packed(x.x, w0), dot4I8Packed(x.y, w0), dot4I8Packed(x.z, w0), dot4I8Packed(x.w, w0));
        acc1 += vec4<i32>(dot4I8Packed(x.x, w1), dot4I8Packed(x.y, w1), dot4I8Packed(x.z, w1), dot4I8Packed(x.w, w1));
        acc2 += vec4<i32>(dot4I8Packed(x.x, w2), dot4I8Packed(x.y, w2), dot4I8Packed(x.z, w2), dot4I8Packed(x.w, w2));
        acc3 += vec4<i32>(dot4I8Packed(x.x, w3), dot4I8Packed(x.y, w3), dot4I8Packed(x.z, w3), dot4I8Packed(x.w, w3));
      }
    }
  }
  finish(n, m0, mg0, oh, ow0, acc0);
  finish(n, m0 + 1u, mg0 + 1u, oh, ow0, acc1);
  finish(n, m0 + 2u, mg0 + 2u, oh, ow0, acc2);
  finish(n, m0 + 3u, mg0 + 3u, oh, ow0, acc3);
}

// Requantize output channel m's pixels [ow0, ow0 + 4) of row oh, writing those inside the row.
fn finish(n: u32, m: u32, mg: u32, oh: u32, ow0: u32, acc: vec4<i32>) {
  if (mg >= params.Mg) {
    return;
  }
  let bias = bitcast<i32>(arena[params.c_off + m]);
  let multiplier = arena[params.c_off + params.M + m];
  let row = ((n * params.M + m) * params.OH + oh) * params.OW;
  for (var q = 0u; q < 4u; q++) {
    if (ow0 + q >= params.OW) {
      break;
    }
    let r = clamp(round(f32(acc[q] + bias) * multiplier), params.ylo, params.yhi);
    // Through i32, so a step of 0 is +0 (DequantizeLinear's (q - zero point) * scale).
    arena[params.y_off + row + ow0 + q] = f32(i32(r)) * params.y_scale;
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let i = flat_index(wid, groups, lid, WORKGROUP_SIZE);
  if (i >= params.count) {
    return;
  }
  if (STAGE == 0u) {
    pack(i);
  } else if (STAGE == 1u) {
    conv(i);
  } else if (STAGE == 2u) {
    arena[params.q_off + i] = quantize(arena[params.x_off + i]);
  } else {
    let m = (i / (params.OH * params.OW)) % params.M;
    let r = clamp(round(arena[params.y_off + i] * arena[params.c_off + params.M + m]), params.ylo, params.yhi);
    arena[params.y_off + i] = f32(i32(r)) * params.y_scale;
  }
}

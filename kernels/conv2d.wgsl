// conv2d as an implicit GEMM, tiled in workgroup memory (the im2col matrix is never
// stored). Per group g:  Y[m, p] = sum_k W[m, k] * X[k, p]  with
//   m: output channel in the group (Mg rows),
//   p = (n, oh, ow): output pixel (P = N*OH*OW columns),
//   k = (c, i, j): input channel in the group and kernel tap (K = Cg*KH*KW),
// and X[k, p] = x[n, g*Cg + c, oh*sh - pt + i*dh, ow*sw - pl + j*dw] (0 in the padding).
// A workgroup computes a TM x TN tile of Y, stepping through K by TK: it stages a TM x TK
// tile of W and a TK x TN tile of X in workgroup memory, then each of its WG_M x WG_N
// invocations accumulates 8 x 8 outputs in registers, spread by WG_M rows and WG_N
// columns so neighbouring invocations touch neighbouring addresses.
// Epilogue: bias, the fused residual, the fused activation.

override WG_M: u32 = 8u;
override WG_N: u32 = 8u;
override TK: u32 = 32u;
override TM: u32 = 8u * WG_M;
override TN: u32 = 8u * WG_N;

struct Params {
  C: u32, H: u32, W: u32,
  OH: u32, OW: u32,
  M: u32, Mg: u32, Cg: u32,
  KH: u32, KW: u32,
  sh: u32, sw: u32,
  pt: i32, pl: i32,
  dh: u32, dw: u32,
  K: u32, P: u32,
  x_off: u32, w_off: u32, b_off: u32, r_off: u32, y_off: u32,
  // The epilogue (uniforms, not override constants: one pipeline per tile serves every
  // epilogue, and each costs seconds to build on a software adapter): the activation code,
  // whether there is a bias at b_off and a residual at r_off, and the activation's parameters.
  act: u32, bias: u32, residual: u32,
  p0: f32, p1: f32,
}

var<workgroup> w_tile: array<f32, TM * TK>; // [TK][TM]
var<workgroup> x_tile: array<f32, TK * TN>; // [TK][TN]

// X[k, p] for one pixel p whose input window starts at (ih0, iw0) in the group's first
// input plane x_base (computed once per invocation: each stages one fixed column of the
// X tile); 0 in the padding and past K.
fn im2col(k: u32, x_base: u32, ih0: i32, iw0: i32) -> f32 {
  if (k >= params.K) {
    return 0.0;
  }
  let taps = params.KH * params.KW;
  let c = k / taps;
  let t = k - c * taps;
  let i = t / params.KW;
  let j = t - i * params.KW;
  let ih = ih0 + i32(i * params.dh);
  let iw = iw0 + i32(j * params.dw);
  if (ih < 0 || iw < 0 || ih >= i32(params.H) || iw >= i32(params.W)) {
    return 0.0;
  }
  return arena[x_base + (c * params.H + u32(ih)) * params.W + u32(iw)];
}

@compute @workgroup_size(WG_N, WG_M)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let g = wid.z;
  let m0 = wid.y * TM;
  let p0 = wid.x * TN;
  let threads = WG_M * WG_N;
  // 8 x 8 accumulators in sixteen vectors, unrolled: no private arrays in the inner loop,
  // which a software device may keep in memory when indexed dynamically.
  var acc00 = vec4<f32>(0.0);
  var acc01 = vec4<f32>(0.0);
  var acc10 = vec4<f32>(0.0);
  var acc11 = vec4<f32>(0.0);
  var acc20 = vec4<f32>(0.0);
  var acc21 = vec4<f32>(0.0);
  var acc30 = vec4<f32>(0.0);
  var acc31 = vec4<f32>(0.0);
  var acc40 = vec4<f32>(0.0);
  var acc41 = vec4<f32>(0.0);
  var acc50 = vec4<f32>(0.0);
  var acc51 = vec4<f32>(0.0);
  var acc60 = vec4<f32>(0.0);
  var acc61 = vec4<f32>(0.0);
  var acc70 = vec4<f32>(0.0);
  var acc71 = vec4<f32>(0.0);
  for (var k0 = 0u; k0 < params.K; k0 += TK) {
    // Stage W[m0.., k0..] transposed to [TK][TM], consecutive invocations reading consecutive k.
    for (var e = li; e < TM * TK; e += threads) {
      let r = e / TK;
      let kk = e - r * TK;
      let m = m0 + r;
      let k = k0 + kk;
      var v = 0.0;
      if (m < params.Mg && k < params.K) {
        v = arena[params.w_off + (g * params.Mg + m) * params.K + k];
      }
      w_tile[kk * TM + r] = v;
    }
    // Stage X[k0.., p0..] as [TK][TN], consecutive invocations reading consecutive pixels.
    // Each invocation stages whole columns (one pixel each, its window found once): column
    // li % TN and a share of its rows when there are more invocations than columns, else
    // columns li, li + threads, ... and all their rows.
    for (var col = li % TN; col < TN; col += min(threads, TN)) {
      let pix = min(p0 + col, params.P - 1u);
      let pix_n = pix / (params.OH * params.OW);
      let pix_s = pix - pix_n * params.OH * params.OW;
      let oh = pix_s / params.OW;
      let ow = pix_s - oh * params.OW;
      let x_base = params.x_off + (pix_n * params.C + g * params.Cg) * params.H * params.W;
      // Past the last pixel: an out-of-range row, so every tap reads as padding.
      let ih0 = select(-i32(params.H) - i32(params.KH * params.dh), i32(oh * params.sh) - params.pt, p0 + col < params.P);
      let iw0 = i32(ow * params.sw) - params.pl;
      for (var kk = li / TN; kk < TK; kk += max(1u, threads / TN)) {
        x_tile[kk * TN + col] = im2col(k0 + kk, x_base, ih0, iw0);
      }
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk++) {
      let wa = kk * TM + lid.y;
      let xa = kk * TN + lid.x;
      let b0 = vec4<f32>(x_tile[xa], x_tile[xa + WG_N], x_tile[xa + 2u * WG_N], x_tile[xa + 3u * WG_N]);
      let b1 = vec4<f32>(x_tile[xa + 4u * WG_N], x_tile[xa + 5u * WG_N], x_tile[xa + 6u * WG_N], x_tile[xa + 7u * WG_N]);
      let a0 = w_tile[wa + 0u * WG_M];
      let a1 = w_tile[wa + 1u * WG_M];
      let a2 = w_tile[wa + 2u * WG_M];
      let a3 = w_tile[wa + 3u * WG_M];
      let a4 = w_tile[wa + 4u * WG_M];
      let a5 = w_tile[wa + 5u * WG_M];
      let a6 = w_tile[wa + 6u * WG_M];
      let a7 = w_tile[wa + 7u * WG_M];
      acc00 = fma(vec4<f32>(a0), b0, acc00);
      acc01 = fma(vec4<f32>(a0), b1, acc01);
      acc10 = fma(vec4<f32>(a1), b0, acc10);
      acc11 = fma(vec4<f32>(a1), b1, acc11);
      acc20 = fma(vec4<f32>(a2), b0, acc20);
      acc21 = fma(vec4<f32>(a2), b1, acc21);
      acc30 = fma(vec4<f32>(a3), b0, acc30);
      acc31 = fma(vec4<f32>(a3), b1, acc31);
      acc40 = fma(vec4<f32>(a4), b0, acc40);
      acc41 = fma(vec4<f32>(a4), b1, acc41);
      acc50 = fma(vec4<f32>(a5), b0, acc50);
      acc51 = fma(vec4<f32>(a5), b1, acc51);
      acc60 = fma(vec4<f32>(a6), b0, acc60);
      acc61 = fma(vec4<f32>(a6), b1, acc61);
      acc70 = fma(vec4<f32>(a7), b0, acc70);
      acc71 = fma(vec4<f32>(a7), b1, acc71);
    }
    workgroupBarrier();
  }
  let acc = array<vec4<f32>, 16>(acc00, acc01, acc10, acc11, acc20, acc21, acc30, acc31, acc40, acc41, acc50, acc51, acc60, acc61, acc70, acc71);
  let rows = 8u;
  let cols = 8u;
  let plane = params.OH * params.OW;
  for (var r = 0u; r < rows; r++) {
    let m = m0 + lid.y + r * WG_M;
    if (m >= params.Mg) {
      continue;
    }
    let oc = g * params.Mg + m;
    var bias = 0.0;
    if (params.bias != 0u) {
      bias = arena[params.b_off + oc];
    }
    for (var c = 0u; c < cols; c++) {
      let p = p0 + lid.x + c * WG_N;
      if (p >= params.P) {
        continue;
      }
      let n = p / plane;
      let at = (n * params.M + oc) * plane + (p - n * plane);
      var v = acc[r * 2u + c / 4u][c % 4u] + bias;
      if (params.residual != 0u) {
        v += arena[params.r_off + at];
      }
      arena[params.y_off + at] = activate(params.act, v, params.p0, params.p1);
    }
  }
}

// int8 convolution (qconv2d, src/ops/qconv2d.ts) as a GEMM over im2col tiles of bytes, NCHW,
// on i32x4.dot_i16x8_s: 8 multiply-adds of 16-bit lanes into 4 sums per instruction, twice
// what a float32 multiply and add do (XNNPACK's "c2" int8 micro-kernels work the same way).
//
// The input is float32 on its grid; qu8_quantize__wasmsimd writes it once as bytes
// u = clamp(round(x / xs), xlo, xlo + 255) - xlo in 0..255 (x's zero point at -xlo), so uint8
// and int8 inputs look alike. Per image, group and tile of NT output pixels, the im2col tile
// holds the window's taps in pairs of k: for pair kk and pixel t, bytes (k = 2kk, 2kk + 1)
// side by side at col + kk * ntPad * 2 + t * 2, padding taps holding the zero point. The
// packed weights (packQconvWeights, src/backends/wasm/kernels/qconv2d.ts) hold, per block
// of 4 output channels and pair kk, the 4 channels' (w[2kk], w[2kk + 1]) as int16 pairs.
// Per pair the micro-kernel loads 8 pixels' bytes widened to 16 bits (two loads), splats
// each channel's pair, and dot_i16x8_s gives each of 4 pixels w0 * u0 + w1 * u1:
// 64 multiply-adds in 8 dot products and 8 adds. The sums are exact int32 (|u w| <= 255 * 128).
//
// Epilogue, per output channel m: acc + bias[m] (the int32 bias less the zero point times
// the weights' sum, so the zero point costs nothing in the loop), converted to float32 and
// multiplied by mult[m] = xs * ws[m] / ys, rounded to even, clamped to [ylo, yhi] (the output
// type's range from its zero point, narrowed by ReLU or Clip) and scaled by ys: the float32
// value of the output's grid step, as onnxruntime's QLinearConv -> DequantizeLinear gives it.
import { countMacs, pf, pi, pp } from './params';
import { Qconv2dGemm as Q, Qconv2dWinograd as QW, Qfc } from './params.generated';

@inline const MR = 4;
@inline const NR = 8;

/** One vector of x quantized: clamp(nearest(x / s), lo, hi) - lo as int32 (NaN at lo, as qdq). */
@inline function quantize(v: v128, s: v128, lo: v128, hi: v128): v128 {
  const r = f32x4.nearest(f32x4.div(v, s));
  return i32x4.trunc_sat_f32x4_s(f32x4.sub(f32x4.pmin(hi, f32x4.pmax(lo, r)), lo));
}

/** qu8_quantize__wasmsimd: the image's input channels [c0, c1) quantized into img, one byte a value (x's grid, shifted to 0..255). */
export function qu8_quantize__wasmsimd(p: usize): void {
  const x = pp(p, Q.X), img = pp(p, Q.IMG);
  const plane = <usize>pi(p, Q.H) * <usize>pi(p, Q.WD);
  const s = pf(p, Q.XS), lo = pf(p, Q.XLO);
  const vs = f32x4.splat(s), vlo = f32x4.splat(lo), vhi = f32x4.splat(lo + 255);
  const mode = pi(p, Q.PAIRS);
  if (mode == 1) {
    quantizePairs(x, img, plane, pi(p, Q.C0), pi(p, Q.C1), pi(p, Q.C), vs, vlo, vhi);
    return;
  }
  if (mode == 2) {
    quantizePadded(p, x, img, vs, vlo, vhi);
    return;
  }
  let i = <usize>pi(p, Q.C0) * plane;
  const end = <usize>pi(p, Q.C1) * plane;
  for (; i + 16 <= end; i += 16) {
    const src = x + (i << 2);
    v128.store(img + i, quantize16(src, vs, vlo, vhi));
  }
  for (; i < end; i++) {
    store<u8>(img + i, <u8>i32x4.extract_lane(quantize(f32x4.splat(load<f32>(x + (i << 2))), vs, vlo, vhi), 0));
  }
}

/**
 * Channels [c0, c1) quantized into zero-point-bordered planes for Winograd F(4x4): each
 * (4 TH + 2) x (4 TW + 2) bytes, the image at row pt, column pl, every other byte the zero
 * point's (-lo), so that every 6x6 patch of every 4x4 output tile lies inside its plane.
 */
function quantizePadded(p: usize, x: usize, img: usize, vs: v128, vlo: v128, vhi: v128): void {
  const H = pi(p, Q.H), W = pi(p, Q.WD);
  const PH = <usize>(((pi(p, Q.OH) + 3) >> 2) * 4 + 2), PW = <usize>(((pi(p, Q.OW) + 3) >> 2) * 4 + 2);
  const top = <usize>pi(p, Q.PT), left = <usize>pi(p, Q.PL);
  const z = <u8>(<i32>-f32x4.extract_lane(vlo, 0));
  for (let c = pi(p, Q.C0), end = pi(p, Q.C1); c < end; c++) {
    const dst = img + <usize>c * PH * PW;
    memory.fill(dst, z, PH * PW);
    const src = x + ((<usize>c * <usize>H * <usize>W) << 2);
    for (let h = 0; h < H; h++) {
      const row = dst + (<usize>h + top) * PW + left;
      const from = src + ((<usize>h * <usize>W) << 2);
      let i = 0;
      for (; i + 16 <= W; i += 16) v128.store(row + <usize>i, quantize16(from + (<usize>i << 2), vs, vlo, vhi));
      for (; i < W; i++) store<u8>(row + <usize>i, <u8>i32x4.extract_lane(quantize(f32x4.splat(load<f32>(from + (<usize>i << 2))), vs, vlo, vhi), 0));
    }
  }
}

/** 16 values of x quantized to bytes. */
@inline function quantize16(src: usize, vs: v128, vlo: v128, vhi: v128): v128 {
  const q0 = quantize(v128.load(src), vs, vlo, vhi);
  const q1 = quantize(v128.load(src, 16), vs, vlo, vhi);
  const q2 = quantize(v128.load(src, 32), vs, vlo, vhi);
  const q3 = quantize(v128.load(src, 48), vs, vlo, vhi);
  return i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_s(q0, q1), i16x8.narrow_i32x4_s(q2, q3));
}

/**
 * Channels [c0, c1) (c0 even) quantized into img in pairs: channels (2kk, 2kk + 1) side by
 * side, pixel by pixel, at img + kk * plane * 2, the layout of an im2col tile of a 1x1
 * stride-1 unpadded conv, so the GEMM reads the whole image in place of tiles. An odd C's
 * last channel is paired with zeros (its weight is zero).
 */
function quantizePairs(x: usize, img: usize, plane: usize, c0: i32, c1: i32, C: i32, vs: v128, vlo: v128, vhi: v128): void {
  for (let c = c0; c < c1; c += 2) {
    const a = x + ((<usize>c * plane) << 2);
    const b = a + (plane << 2);
    const second = c + 1 < C;
    const dst = img + <usize>c * plane;
    let i: usize = 0;
    for (; i + 16 <= plane; i += 16) {
      const qa = quantize16(a + (i << 2), vs, vlo, vhi);
      const qb = second ? quantize16(b + (i << 2), vs, vlo, vhi) : i8x16.splat(0);
      v128.store(dst + (i << 1), i8x16.shuffle(qa, qb, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23));
      v128.store(dst + (i << 1), i8x16.shuffle(qa, qb, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31), 16);
    }
    for (; i < plane; i++) {
      store<u8>(dst + (i << 1), <u8>i32x4.extract_lane(quantize(f32x4.splat(load<f32>(a + (i << 2))), vs, vlo, vhi), 0));
      store<u8>(dst + (i << 1) + 1, second ? <u8>i32x4.extract_lane(quantize(f32x4.splat(load<f32>(b + (i << 2))), vs, vlo, vhi), 0) : 0);
    }
  }
}

/**
 * The im2col tile of pixels [p0, p0 + nt) of group g, in pairs of k (see the top), padded to
 * ntPad pixels with the zero point; an odd K's last pair is completed with zeros (its weight
 * is zero). Runs of 8 pixels that read 8 consecutive bytes (or, at stride 2, every other
 * byte of 16) go by vector: an even k writes
 * its bytes widened to 16 bits (the odd bytes 0), the odd k after it merges its bytes into
 * the high halves.
 */
function im2colPairs(p: usize, g: i32, p0: i32, nt: i32, ntPad: i32, col: usize, z8: u8): void {
  const img = pp(p, Q.IMG);
  const Cin = pi(p, Q.C), Hin = pi(p, Q.H), Win = pi(p, Q.WD);
  const groups = pi(p, Q.GROUPS), Kh = pi(p, Q.KH), Kw = pi(p, Q.KW);
  const sh = pi(p, Q.SH), sw = pi(p, Q.SW), pt = pi(p, Q.PT), pl = pi(p, Q.PL), dh = pi(p, Q.DH), dw = pi(p, Q.DW);
  const Ow = pi(p, Q.OW);
  const Cg = Cin / groups;
  const Kk = Kh * Kw;
  const K = Cg * Kk;
  const rowBytes = <usize>ntPad << 1;
  const low = i16x8.splat(0xff);
  const zero = i8x16.splat(0);
  for (let k = 0; k < K; k++) {
    const c = k / Kk;
    const r = k - c * Kk;
    const i = r / Kw;
    const j = r - i * Kw;
    const odd = k & 1;
    const plane = img + <usize>(g * Cg + c) * <usize>Hin * <usize>Win;
    const row = col + <usize>(k >> 1) * rowBytes + <usize>odd;
    let t = 0;
    let oh = p0 / Ow;
    let ow = p0 - oh * Ow;
    while (t < nt) {
      const run = min(Ow - ow, nt - t);
      const ih = oh * sh - pt + i * dh;
      const dst = row + (<usize>t << 1);
      if (ih < 0 || ih >= Hin) {
        for (let q = 0; q < run; q++) store<u8>(dst + (<usize>q << 1), z8);
      } else {
        const src = plane + <usize>ih * <usize>Win;
        let iw = ow * sw - pl + j * dw;
        let q = 0;
        if (sw <= 2) {
          // Leading taps in the left padding, then whole vectors inside the row (8 bytes, or at
          // stride 2 the even bytes of 16), then the rest.
          for (; q < run && iw < 0; q++, iw += sw) store<u8>(dst + (<usize>q << 1), z8);
          const span = sw << 3;
          for (; q + 8 <= run && iw + span <= Win; q += 8, iw += span) {
            const v = sw == 1
              ? v128.load8x8_u(src + <usize>iw)
              : i8x16.shuffle(v128.load(src + <usize>iw), zero, 0, 16, 2, 16, 4, 16, 6, 16, 8, 16, 10, 16, 12, 16, 14, 16);
            const at = dst - <usize>odd + (<usize>q << 1);
            if (odd) v128.store(at, v128.or(v128.and(v128.load(at), low), i16x8.shl(v, 8)));
            else v128.store(at, v);
          }
        }
        for (; q < run; q++, iw += sw) store<u8>(dst + (<usize>q << 1), iw >= 0 && iw < Win ? load<u8>(src + <usize>iw) : z8);
      }
      t += run;
      oh++;
      ow = 0;
    }
    for (let q = nt; q < ntPad; q++) store<u8>(row + (<usize>q << 1), z8);
  }
  if (K & 1) {
    const row = col + <usize>(K >> 1) * rowBytes + 1;
    for (let q = 0; q < ntPad; q++) store<u8>(row + (<usize>q << 1), 0);
  }
}

/**
 * qu8_gemm_ukernel_4x8c2: c[r][0..8) = sum over kk < k2 of a's pair of channel r dot b's 8
 * pixels' pairs (r < 4), as int32 into c (4 rows of 8, 128 bytes), where the caller's epilogue
 * reads them (requantization, or Winograd's output transform), as the float32 GEMM
 * micro-kernels hand back their blocks. a: per kk, 4 rows' int16 pairs (16 bytes); b: per kk
 * (rows sb bytes apart), the 8 pixels' pairs as bytes (`bytes`: widened to 16 bits as loaded)
 * or as int16.
 */
@inline function qu8_gemm_ukernel_4x8c2(k2: i32, a: usize, b: usize, sb: usize, c: usize, bytes: bool): void {
  let c0x0 = i32x4.splat(0), c0x1 = i32x4.splat(0);
  let c1x0 = i32x4.splat(0), c1x1 = i32x4.splat(0);
  let c2x0 = i32x4.splat(0), c2x1 = i32x4.splat(0);
  let c3x0 = i32x4.splat(0), c3x1 = i32x4.splat(0);
  for (let kk = 0; kk < k2; kk++) {
    const vb0 = bytes ? v128.load8x8_u(b) : v128.load(b);
    const vb1 = bytes ? v128.load8x8_u(b, 8) : v128.load(b, 16);
    const va0 = v128.load32_splat(a);
    const va1 = v128.load32_splat(a, 4);
    const va2 = v128.load32_splat(a, 8);
    const va3 = v128.load32_splat(a, 12);
    c0x0 = i32x4.add(c0x0, i32x4.dot_i16x8_s(va0, vb0));
    c0x1 = i32x4.add(c0x1, i32x4.dot_i16x8_s(va0, vb1));
    c1x0 = i32x4.add(c1x0, i32x4.dot_i16x8_s(va1, vb0));
    c1x1 = i32x4.add(c1x1, i32x4.dot_i16x8_s(va1, vb1));
    c2x0 = i32x4.add(c2x0, i32x4.dot_i16x8_s(va2, vb0));
    c2x1 = i32x4.add(c2x1, i32x4.dot_i16x8_s(va2, vb1));
    c3x0 = i32x4.add(c3x0, i32x4.dot_i16x8_s(va3, vb0));
    c3x1 = i32x4.add(c3x1, i32x4.dot_i16x8_s(va3, vb1));
    a += 16;
    b += sb;
  }
  v128.store(c, c0x0); v128.store(c, c0x1, 16);
  v128.store(c, c1x0, 32); v128.store(c, c1x1, 48);
  v128.store(c, c2x0, 64); v128.store(c, c2x1, 80);
  v128.store(c, c3x0, 96); v128.store(c, c3x1, 112);
}

/**
 * Four sums requantized: float32(acc + b) * s, rounded to even, clamped to [lo, hi], + 0 (a
 * step of -0, the nearest of a small negative, becomes +0, as (q - zero point) * scale gives),
 * times ys.
 */
@inline function requant4(acc: v128, b: v128, s: v128, ys: v128, lo: v128, hi: v128): v128 {
  const q = f32x4.pmin(hi, f32x4.pmax(lo, f32x4.nearest(f32x4.mul(f32x4.convert_i32x4_s(i32x4.add(acc, b)), s))));
  return f32x4.mul(f32x4.add(q, f32x4.splat(0)), ys);
}

/**
 * One output channel's 8 pixels: requantized (see the top) and stored, all 8 when `cols` is 8,
 * else the first `cols` through `block`.
 */
function requantize(
  acc0: v128, acc1: v128, bias: usize, mult: usize, m: i32, y: usize, at: usize, cols: i32,
  ys: v128, lo: v128, hi: v128, block: usize,
): void {
  const b = v128.load32_splat(bias + (<usize>m << 2));
  const s = v128.load32_splat(mult + (<usize>m << 2));
  const v0 = requant4(acc0, b, s, ys, lo, hi);
  const v1 = requant4(acc1, b, s, ys, lo, hi);
  if (cols == NR) {
    v128.store(y + at, v0);
    v128.store(y + at, v1, 16);
  } else {
    v128.store(block, v0);
    v128.store(block, v1, 16);
    memory.copy(y + at, block, <usize>cols << 2);
  }
}

/** qu8_conv2d_gemm_4x8c2__wasmsimd: qconv2d over the image quantized by qu8_quantize__wasmsimd; this call's share, output pixels [p0, p1). */
export function qu8_conv2d_gemm_4x8c2__wasmsimd(p: usize): void {
  const Cin = pi(p, Q.C), groups = pi(p, Q.GROUPS), Kh = pi(p, Q.KH), Kw = pi(p, Q.KW);
  const Mout = pi(p, Q.M), Oh = pi(p, Q.OH), Ow = pi(p, Q.OW), ntMax = pi(p, Q.NT);
  const w = pp(p, Q.W), bias = pp(p, Q.BIAS), mult = pp(p, Q.MULT), y = pp(p, Q.Y), col = pp(p, Q.COL), block = pp(p, Q.BLOCK);
  const ys = f32x4.splat(pf(p, Q.YS)), lo = f32x4.splat(pf(p, Q.YLO)), hi = f32x4.splat(pf(p, Q.YHI));
  const z8 = <u8>(<i32>-pf(p, Q.XLO));
  const Cg = Cin / groups, Mg = Mout / groups;
  const K2 = (Cg * Kh * Kw + 1) >> 1;
  const P = Oh * Ow;
  const MBg = (Mg + MR - 1) / MR;
  const blockBytes = <usize>K2 * 16;
  const px0 = pi(p, Q.P0), px1 = pi(p, Q.P1);
  for (let g = 0; g < groups; g++) {
    for (let p0 = px0; p0 < px1; p0 += ntMax) {
      const nt = min(ntMax, px1 - p0);
      const ntPad = (nt + NR - 1) & ~(NR - 1);
      // A 1x1 stride-1 unpadded conv reads the image in pairs as its tiles (rows P * 2 bytes apart).
      const pairs = pi(p, Q.PAIRS);
      if (!pairs) im2colPairs(p, g, p0, nt, ntPad, col, z8);
      const rowBytes = pairs ? <usize>P << 1 : <usize>ntPad << 1;
      const tile = pairs ? pp(p, Q.IMG) + (<usize>p0 << 1) : col;
      for (let mb = 0; mb < MBg; mb++) {
        const wb = w + <usize>(g * MBg + mb) * blockBytes;
        const m0 = g * Mg + mb * MR;
        const rows = min(MR, Mg - mb * MR);
        for (let pb = 0; pb < ntPad; pb += NR) {
          qu8_gemm_ukernel_4x8c2(K2, wb, tile + (<usize>pb << 1), rowBytes, block, true);
          countMacs(<f64>K2 * 64);
          const pix = p0 + pb;
          const cols = min(NR, nt - pb);
          const at = (<usize>m0 * <usize>P + <usize>pix) << 2;
          const plane = <usize>P << 2;
          for (let r = 0; r < rows; r++) {
            requantize(v128.load(block + (<usize>r << 5)), v128.load(block + (<usize>r << 5), 16), bias, mult, m0 + r, y, at + <usize>r * plane, cols, ys, lo, hi, block + 128);
          }
        }
      }
    }
  }
}

// Winograd F(2x2, 3x3) on integers, for 3x3 stride-1 qconv2d (one group): per 2x2 output tile
// and input channel, the 4x4 input patch d (bytes, the zero point z where padded) becomes
// V = B^T d B, int16 (|V| <= 4 * 255); the weights were transformed at compile into
// U' = G' g G'^T with G' = 2G, so integer (|U'| <= 9 * 128); per position of the 4x4 tile the
// products M' = sum over channels of U' V are a GEMM on dot_i16x8_s like the direct kernel's
// (channel pairs for k, 8 tiles for pixels), and Y' = A^T M' A is 4 times the exact sums plus
// 4 z S (S the sum of U' at position (1, 1), the only one where B^T 1 1^T B is not 0: the host
// folds z S into the bias). 16 products a tile and channel against 36 for four outputs of the
// direct kernel; exact in int32 (Lavin and Gray, "Fast Algorithms for Convolutional Neural
// Networks", 2016, for the transforms), so the outputs equal the direct kernel's bit for bit.
// B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1], A^T = [1 1 1 0; 0 1 -1 -1].

/**
 * The products of one block of 4 output channels by 8 tiles at each of a Winograd tile's
 * `positions` positions, over the channel pairs: per position the shared micro-kernel on its
 * weights (w, positions wPos bytes apart) and transformed tiles (v, posBytes apart), into mbuf
 * ([position][channel][tile], int32, 128 bytes a position). F(2x2) has 16 positions, F(4x4) 36.
 */
@inline function winogradProducts(positions: i32, C2: i32, w: usize, wPos: usize, v: usize, posBytes: usize, rowBytes: usize, mbuf: usize): void {
  for (let xi = 0; xi < positions; xi++) {
    qu8_gemm_ukernel_4x8c2(C2, w + <usize>xi * wPos, v + <usize>xi * posBytes, rowBytes, mbuf + (<usize>xi << 7), false);
  }
  countMacs(<f64>C2 * 64 * <f64>positions);
}

/**
 * qu8_conv2d_winograd_2x2__wasmsimd: qconv2d by Winograd F(2x2, 3x3) over the image
 * qu8_quantize__wasmsimd wrote; this call's share, output tiles [t0, t1) (row-major over the
 * ceil(OH/2) x ceil(OW/2) tiles), in blocks of nt.
 */
export function qu8_conv2d_winograd_2x2__wasmsimd(p: usize): void {
  const img = pp(p, QW.IMG), w = pp(p, QW.W), bias = pp(p, QW.BIAS), mult = pp(p, QW.MULT), y = pp(p, QW.Y);
  const vbuf = pp(p, QW.V), mbuf = pp(p, QW.MBUF);
  const C = pi(p, QW.C), H = pi(p, QW.H), W = pi(p, QW.WD), M = pi(p, QW.M), OH = pi(p, QW.OH), OW = pi(p, QW.OW);
  const pt = pi(p, QW.PT), pl = pi(p, QW.PL);
  const z = <i32>-pf(p, QW.XLO);
  const ys = f32x4.splat(pf(p, QW.YS)), lo = f32x4.splat(pf(p, QW.YLO)), hi = f32x4.splat(pf(p, QW.YHI));
  const ntMax = pi(p, QW.NT), t0 = pi(p, QW.T0), t1 = pi(p, QW.T1);
  const TW = (OW + 1) >> 1;
  const C2 = (C + 1) >> 1;
  const MB = (M + MR - 1) / MR;
  const P = <usize>OH * <usize>OW;
  const rowBytes = <usize>ntMax << 2; // a pair row of V: nt tiles of 2 channels, int16
  // One position's V, a cache line more than its rows: the 16 positions' stores of a tile,
  // a power of two apart, would all fall in one set of the L1 cache (on ResNet-18's first
  // layers 3.6 -> 2.2 ms).
  const posBytes = <usize>C2 * rowBytes + 64;
  const wPos = <usize>MB * <usize>C2 * 16; // one position's packed weights
  const out = mbuf + 2048; // 4 result vectors of 4 tiles
  for (let b0 = t0; b0 < t1; b0 += ntMax) {
    const nt = min(ntMax, t1 - b0);
    const ntPad = (nt + NR - 1) & ~(NR - 1);
    // The input transform, tile by tile and channel by channel (an odd C's last pair completed by zeros).
    for (let c = 0; c < C2 * 2; c++) {
      const dst = vbuf + <usize>(c >> 1) * rowBytes + <usize>((c & 1) << 1);
      const plane = img + <usize>min(c, C - 1) * <usize>H * <usize>W;
      // The tile's row and column, stepped rather than divided for each tile.
      let ty = b0 / TW;
      let tx = b0 - ty * TW - 1;
      for (let t = 0; t < ntPad; t++) {
        const at = dst + (<usize>t << 2);
        if (c >= C || t >= nt) {
          for (let xi = 0; xi < 16; xi++) store<i16>(at + <usize>xi * posBytes, 0);
          continue;
        }
        if (++tx == TW) {
          tx = 0;
          ty++;
        }
        const r0 = 2 * ty - pt, c0 = 2 * tx - pl;
        let d0 = 0, d1 = 0, d2 = 0, d3 = 0, d4 = 0, d5 = 0, d6 = 0, d7 = 0;
        let d8 = 0, d9 = 0, d10 = 0, d11 = 0, d12 = 0, d13 = 0, d14 = 0, d15 = 0;
        if (r0 >= 0 && r0 + 4 <= H && c0 >= 0 && c0 + 4 <= W) {
          const s0 = plane + <usize>r0 * <usize>W + <usize>c0;
          const s1 = s0 + <usize>W, s2 = s1 + <usize>W, s3 = s2 + <usize>W;
          d0 = load<u8>(s0); d1 = load<u8>(s0, 1); d2 = load<u8>(s0, 2); d3 = load<u8>(s0, 3);
          d4 = load<u8>(s1); d5 = load<u8>(s1, 1); d6 = load<u8>(s1, 2); d7 = load<u8>(s1, 3);
          d8 = load<u8>(s2); d9 = load<u8>(s2, 1); d10 = load<u8>(s2, 2); d11 = load<u8>(s2, 3);
          d12 = load<u8>(s3); d13 = load<u8>(s3, 1); d14 = load<u8>(s3, 2); d15 = load<u8>(s3, 3);
        } else {
          // A patch over the border: its 16 taps through scratch (the zero point where padded).
          for (let k = 0; k < 16; k++) store<i32>(out + (<usize>k << 2), tap(plane, r0 + (k >> 2), c0 + (k & 3), H, W, z));
          d0 = load<i32>(out); d1 = load<i32>(out, 4); d2 = load<i32>(out, 8); d3 = load<i32>(out, 12);
          d4 = load<i32>(out, 16); d5 = load<i32>(out, 20); d6 = load<i32>(out, 24); d7 = load<i32>(out, 28);
          d8 = load<i32>(out, 32); d9 = load<i32>(out, 36); d10 = load<i32>(out, 40); d11 = load<i32>(out, 44);
          d12 = load<i32>(out, 48); d13 = load<i32>(out, 52); d14 = load<i32>(out, 56); d15 = load<i32>(out, 60);
        }
        // B^T d: rows.
        const e0 = d0 - d8, e1 = d1 - d9, e2 = d2 - d10, e3 = d3 - d11;
        const e4 = d4 + d8, e5 = d5 + d9, e6 = d6 + d10, e7 = d7 + d11;
        const e8 = d8 - d4, e9 = d9 - d5, e10 = d10 - d6, e11 = d11 - d7;
        const e12 = d4 - d12, e13 = d5 - d13, e14 = d6 - d14, e15 = d7 - d15;
        // (B^T d) B: columns, each row's four to positions 4i .. 4i + 3.
        store<i16>(at, e0 - e2); store<i16>(at + posBytes, e1 + e2); store<i16>(at + 2 * posBytes, e2 - e1); store<i16>(at + 3 * posBytes, e1 - e3);
        store<i16>(at + 4 * posBytes, e4 - e6); store<i16>(at + 5 * posBytes, e5 + e6); store<i16>(at + 6 * posBytes, e6 - e5); store<i16>(at + 7 * posBytes, e5 - e7);
        store<i16>(at + 8 * posBytes, e8 - e10); store<i16>(at + 9 * posBytes, e9 + e10); store<i16>(at + 10 * posBytes, e10 - e9); store<i16>(at + 11 * posBytes, e9 - e11);
        store<i16>(at + 12 * posBytes, e12 - e14); store<i16>(at + 13 * posBytes, e13 + e14); store<i16>(at + 14 * posBytes, e14 - e13); store<i16>(at + 15 * posBytes, e13 - e15);
      }
    }
    for (let mb = 0; mb < MB; mb++) {
      const m0 = mb * MR;
      const rows = min(MR, M - m0);
      for (let tb = 0; tb < ntPad; tb += NR) {
        winogradProducts(16, C2, w + <usize>mb * <usize>C2 * 16, wPos, vbuf + (<usize>tb << 2), posBytes, rowBytes, mbuf);
        // Y' = A^T M' A, 4 tiles a vector; / 4 (exact), bias, requantized, scattered to the tiles' 2x2 outputs.
        const ty0 = (b0 + tb) / TW;
        const tx0 = b0 + tb - ty0 * TW;
        for (let r = 0; r < rows; r++) {
          const m = m0 + r;
          const bv = v128.load32_splat(bias + (<usize>m << 2));
          const sv = v128.load32_splat(mult + (<usize>m << 2));
          for (let h = 0; h < 2; h++) {
            const q = mbuf + <usize>(r * 32 + h * 16);
            const t00 = i32x4.add(i32x4.add(v128.load(q), v128.load(q, 512)), v128.load(q, 1024));
            const t01 = i32x4.add(i32x4.add(v128.load(q, 128), v128.load(q, 640)), v128.load(q, 1152));
            const t02 = i32x4.add(i32x4.add(v128.load(q, 256), v128.load(q, 768)), v128.load(q, 1280));
            const t03 = i32x4.add(i32x4.add(v128.load(q, 384), v128.load(q, 896)), v128.load(q, 1408));
            const t10 = i32x4.sub(i32x4.sub(v128.load(q, 512), v128.load(q, 1024)), v128.load(q, 1536));
            const t11 = i32x4.sub(i32x4.sub(v128.load(q, 640), v128.load(q, 1152)), v128.load(q, 1664));
            const t12 = i32x4.sub(i32x4.sub(v128.load(q, 768), v128.load(q, 1280)), v128.load(q, 1792));
            const t13 = i32x4.sub(i32x4.sub(v128.load(q, 896), v128.load(q, 1408)), v128.load(q, 1920));
            v128.store(out, requant4(i32x4.shr_s(i32x4.add(i32x4.add(t00, t01), t02), 2), bv, sv, ys, lo, hi));
            v128.store(out, requant4(i32x4.shr_s(i32x4.sub(i32x4.sub(t01, t02), t03), 2), bv, sv, ys, lo, hi), 16);
            v128.store(out, requant4(i32x4.shr_s(i32x4.add(i32x4.add(t10, t11), t12), 2), bv, sv, ys, lo, hi), 32);
            v128.store(out, requant4(i32x4.shr_s(i32x4.sub(i32x4.sub(t11, t12), t13), 2), bv, sv, ys, lo, hi), 48);
            const plane = y + ((<usize>m * P) << 2);
            for (let l = 0; l < 4; l++) {
              const k = h * 4 + l;
              if (tb + k >= nt) break;
              let ty = ty0, tx = tx0 + k;
              while (tx >= TW) {
                tx -= TW;
                ty++;
              }
              const oy = 2 * ty, ox = 2 * tx;
              const o = plane + ((<usize>oy * <usize>OW + <usize>ox) << 2);
              const lane = out + (<usize>l << 2);
              store<f32>(o, load<f32>(lane));
              if (ox + 1 < OW) store<f32>(o, load<f32>(lane, 16), 4);
              if (oy + 1 < OH) {
                store<f32>(o + (<usize>OW << 2), load<f32>(lane, 32));
                if (ox + 1 < OW) store<f32>(o + (<usize>OW << 2), load<f32>(lane, 48), 4);
              }
            }
          }
        }
      }
    }
  }
}

/** The input byte at (i, j) of a plane, or the zero point z outside it (padding). */
@inline function tap(plane: usize, i: i32, j: i32, H: i32, W: i32, z: i32): i32 {
  return i >= 0 && i < H && j >= 0 && j < W ? <i32>load<u8>(plane + <usize>i * <usize>W + <usize>j) : z;
}

// Winograd F(4x4, 3x3) on integers, for 3x3 stride-1 qconv2d (one group) whose sums are
// known at compile to stay below 2^25 in magnitude (the host checks the weights). Per 4x4
// output tile and input channel, the 6x6 patch d (bytes 0..255, the zero point z where padded)
// becomes V = B^T d B, int16 (|V| <= 100 * 255); the weights were transformed at compile into
// U' = G' g G'^T with G' = D G, D = diag(4, 6, 6, 24, 24, 1), G's rows scaled to integers
// (|U'| <= 49 * 128). The 36 positions' products M = sum over channels of U' V are GEMMs on
// the shared micro-kernel, as F(2x2)'s. Since U = D^-1 U' D^-1,
//   576 Y = A'^T M A',  A'^T = A^T diag(6, 4, 4, 1, 1, 24),
// all in int32, exact modulo 2^32 (sums wrap); 9 is invertible modulo 2^32 (9 * 954437177 =
// 2^33 + 1), so 64 Y = 576 Y * 954437177 mod 2^32, and Y = (64 Y) >> 6 wherever |Y| < 2^25.
// Y is the sum of bytes times weights; the host folds the zero point's share, z times the
// weights' sum, into the bias. 36 products a tile and channel where the direct kernel takes
// 144 for 16 outputs, F(2x2) 64; the outputs equal the direct kernel's bit for bit.
// B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1]
// (Lavin and Gray, 2016), A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1].

/** B^T applied to six i32 values at `src` (stride `ss` bytes), written as i32 to `dst` (stride `ds` bytes). */
function bt6(src: usize, ss: usize, dst: usize, ds: usize): void {
  const d0 = load<i32>(src), d1 = load<i32>(src + ss), d2 = load<i32>(src + 2 * ss);
  const d3 = load<i32>(src + 3 * ss), d4 = load<i32>(src + 4 * ss), d5 = load<i32>(src + 5 * ss);
  store<i32>(dst, 4 * d0 - 5 * d2 + d4);
  store<i32>(dst + ds, d3 + d4 - 4 * (d1 + d2));
  store<i32>(dst + 2 * ds, 4 * (d1 - d2) + d4 - d3);
  store<i32>(dst + 3 * ds, 2 * (d3 - d1) + d4 - d2);
  store<i32>(dst + 4 * ds, 2 * (d1 - d3) + d4 - d2);
  store<i32>(dst + 5 * ds, 4 * d1 - 5 * d3 + d5);
}

/** B^T applied to six i32 values at `src` (stride 4 bytes), written as int16 to `dst` (stride `ds` bytes). */
function bt6i16(src: usize, dst: usize, ds: usize): void {
  const d0 = load<i32>(src), d1 = load<i32>(src, 4), d2 = load<i32>(src, 8);
  const d3 = load<i32>(src, 12), d4 = load<i32>(src, 16), d5 = load<i32>(src, 20);
  store<i16>(dst, 4 * d0 - 5 * d2 + d4);
  store<i16>(dst + ds, d3 + d4 - 4 * (d1 + d2));
  store<i16>(dst + 2 * ds, 4 * (d1 - d2) + d4 - d3);
  store<i16>(dst + 3 * ds, 2 * (d3 - d1) + d4 - d2);
  store<i16>(dst + 4 * ds, 2 * (d1 - d3) + d4 - d2);
  store<i16>(dst + 5 * ds, 4 * d1 - 5 * d3 + d5);
}

/** A'^T applied to six vectors at `src` (stride `ss` bytes), four vectors to `dst` (stride `ds` bytes). */
@inline function at6(src: usize, ss: usize, dst: usize, ds: usize): void {
  const m0 = v128.load(src), m1 = v128.load(src + ss), m2 = v128.load(src + 2 * ss);
  const m3 = v128.load(src + 3 * ss), m4 = v128.load(src + 4 * ss), m5 = v128.load(src + 5 * ss);
  const s12 = i32x4.shl(i32x4.add(m1, m2), 2), d12 = i32x4.shl(i32x4.sub(m1, m2), 2);
  const s34 = i32x4.add(m3, m4), d34 = i32x4.sub(m3, m4);
  // 6 m0 + 4 (m1 + m2) + (m3 + m4); 4 (m1 - m2) + 2 (m3 - m4); 4 (m1 + m2) + 4 (m3 + m4); 4 (m1 - m2) + 8 (m3 - m4) + 24 m5.
  v128.store(dst, i32x4.add(i32x4.add(i32x4.mul(m0, i32x4.splat(6)), s12), s34));
  v128.store(dst + ds, i32x4.add(d12, i32x4.shl(d34, 1)));
  v128.store(dst + 2 * ds, i32x4.add(s12, i32x4.shl(s34, 2)));
  v128.store(dst + 3 * ds, i32x4.add(i32x4.add(d12, i32x4.shl(d34, 3)), i32x4.mul(m5, i32x4.splat(24))));
}

/** bt6 on vectors (4 tiles a vector): six at `src` (stride `ss` bytes) to six at `dst` (stride `ds` bytes). */
@inline function bt6v(src: usize, ss: usize, dst: usize, ds: usize): void {
  const d0 = v128.load(src), d1 = v128.load(src + ss), d2 = v128.load(src + 2 * ss);
  const d3 = v128.load(src + 3 * ss), d4 = v128.load(src + 4 * ss), d5 = v128.load(src + 5 * ss);
  const five = i32x4.splat(5);
  v128.store(dst, i32x4.add(i32x4.sub(i32x4.shl(d0, 2), i32x4.mul(d2, five)), d4));
  v128.store(dst + ds, i32x4.sub(i32x4.add(d3, d4), i32x4.shl(i32x4.add(d1, d2), 2)));
  v128.store(dst + 2 * ds, i32x4.sub(i32x4.add(i32x4.shl(i32x4.sub(d1, d2), 2), d4), d3));
  v128.store(dst + 3 * ds, i32x4.sub(i32x4.add(i32x4.shl(i32x4.sub(d3, d1), 1), d4), d2));
  v128.store(dst + 4 * ds, i32x4.sub(i32x4.add(i32x4.shl(i32x4.sub(d1, d3), 1), d4), d2));
  v128.store(dst + 5 * ds, i32x4.add(i32x4.sub(i32x4.shl(d1, 2), i32x4.mul(d3, five)), d5));
}

/**
 * V = B^T d B of four horizontally adjacent tiles (columns c0, c0 + 4, c0 + 8, c0 + 12 of the
 * row at `s`, all inside the plane: 18 bytes a row) as 36 vectors of 4 tiles at `f`
 * (position 6i + j at f + (6i + j) * 16); `dt` and `et` hold 36 vectors each on the way.
 */
function transform4(s: usize, W: i32, dt: usize, et: usize, f: usize): void {
  const zero = i8x16.splat(0);
  for (let k = 0; k < 6; k++) {
    // Byte l of each tile's row: lanes l, l + 4, l + 8, l + 12 of the 16 from c0 (l < 4) or from c0 + 2.
    const a = v128.load(s), b = v128.load(s, 2);
    const row = dt + <usize>(k * 96);
    v128.store(row, i8x16.shuffle(a, zero, 0, 16, 16, 16, 4, 16, 16, 16, 8, 16, 16, 16, 12, 16, 16, 16));
    v128.store(row, i8x16.shuffle(a, zero, 1, 16, 16, 16, 5, 16, 16, 16, 9, 16, 16, 16, 13, 16, 16, 16), 16);
    v128.store(row, i8x16.shuffle(a, zero, 2, 16, 16, 16, 6, 16, 16, 16, 10, 16, 16, 16, 14, 16, 16, 16), 32);
    v128.store(row, i8x16.shuffle(a, zero, 3, 16, 16, 16, 7, 16, 16, 16, 11, 16, 16, 16, 15, 16, 16, 16), 48);
    v128.store(row, i8x16.shuffle(b, zero, 2, 16, 16, 16, 6, 16, 16, 16, 10, 16, 16, 16, 14, 16, 16, 16), 64);
    v128.store(row, i8x16.shuffle(b, zero, 3, 16, 16, 16, 7, 16, 16, 16, 11, 16, 16, 16, 15, 16, 16, 16), 80);
    s += <usize>W;
  }
  for (let j = 0; j < 6; j++) bt6v(dt + (<usize>j << 4), 96, et + (<usize>j << 4), 96);
  for (let i = 0; i < 6; i++) bt6v(et + <usize>(i * 96), 16, f + <usize>(i * 96), 16);
}

/**
 * qu8_conv2d_winograd_4x4__wasmsimd: qconv2d by Winograd F(4x4, 3x3) over the image
 * qu8_quantize__wasmsimd wrote (see above); this call's share, 4x4 output tiles [t0, t1), nt
 * tiles a block. The parameter block is F(2x2)'s (qconv2d_winograd); mbuf holds 36 x 128
 * bytes of products, then 256 bytes of a block's outputs and 384 of transforms.
 */
export function qu8_conv2d_winograd_4x4__wasmsimd(p: usize): void {
  const img = pp(p, QW.IMG), w = pp(p, QW.W), bias = pp(p, QW.BIAS), mult = pp(p, QW.MULT), y = pp(p, QW.Y);
  const vbuf = pp(p, QW.V), mbuf = pp(p, QW.MBUF);
  const C = pi(p, QW.C), M = pi(p, QW.M), OH = pi(p, QW.OH), OW = pi(p, QW.OW);
  const ys = f32x4.splat(pf(p, QW.YS)), lo = f32x4.splat(pf(p, QW.YLO)), hi = f32x4.splat(pf(p, QW.YHI));
  const ntMax = pi(p, QW.NT), t0 = pi(p, QW.T0), t1 = pi(p, QW.T1);
  const TW = (OW + 3) >> 2;
  // The planes qu8_quantize__wasmsimd bordered with the zero point (mode 2): every tile's patch inside.
  const PH = ((OH + 3) >> 2) * 4 + 2, PW = TW * 4 + 2;
  const planeBytes = <usize>PH * <usize>PW;
  const C2 = (C + 1) >> 1;
  const MB = (M + MR - 1) / MR;
  const P = <usize>OH * <usize>OW;
  const rowBytes = <usize>ntMax << 2; // a pair row of V: nt tiles of 2 channels, int16
  const posBytes = <usize>C2 * rowBytes + 64; // a cache line more than its rows, as F(2x2)'s
  const wPos = <usize>MB * <usize>C2 * 16;
  const out = mbuf + 36 * 128; // 16 result vectors of 4 tiles
  const dt = out + 256; // 384 bytes: a 6x6 patch (i32) and B^T d (et); later A'^T M, 4 x 6 vectors
  const et = dt + 144;
  const vt = dt + 384; // 2304 bytes: four tiles' patch and B^T d (36 vectors each), then both channels' V
  const inv9 = i32x4.splat(954437177);
  for (let b0 = t0; b0 < t1; b0 += ntMax) {
    const nt = min(ntMax, t1 - b0);
    const ntPad = (nt + NR - 1) & ~(NR - 1);
    for (let cp = 0; cp < C2; cp++) {
      const base = vbuf + <usize>cp * rowBytes;
      const c = cp * 2;
      let t = 0;
      while (t < ntPad) {
        const g = b0 + t;
        const ty = g / TW, tx = g - ty * TW;
        const at0 = <usize>(4 * ty) * <usize>PW + <usize>(4 * tx);
        // Up to four tiles of one tile row: both channels by vector, 4 tiles a vector (past the
        // row's last tile, lanes of bytes beyond it, not stored; the plane has 16 bytes to spare).
        const n = min(4, min(TW - tx, nt - t));
        if (n >= 2) {
          transform4(img + <usize>c * planeBytes + at0, PW, vt, vt + 576, vt + 1152);
          if (c + 1 < C) transform4(img + <usize>(c + 1) * planeBytes + at0, PW, vt, vt + 576, vt + 1728);
          else memory.fill(vt + 1728, 0, 576);
          for (let xi = 0; xi < 36; xi++) {
            const v = i16x8.narrow_i32x4_s(v128.load(vt + 1152 + (<usize>xi << 4)), v128.load(vt + 1728 + (<usize>xi << 4)));
            const pairs = i8x16.shuffle(v, v, 0, 1, 8, 9, 2, 3, 10, 11, 4, 5, 12, 13, 6, 7, 14, 15);
            const at = base + <usize>xi * posBytes + (<usize>t << 2);
            if (n == 4) v128.store(at, pairs);
            else {
              v128.store64_lane(at, pairs, 0);
              if (n == 3) v128.store32_lane(at, pairs, 2, 8);
            }
          }
          t += n;
          continue;
        }
        for (let h = 0; h < 2; h++) {
          const at = base + (<usize>h << 1) + (<usize>t << 2);
          if (c + h >= C || t >= nt) {
            for (let xi = 0; xi < 36; xi++) store<i16>(at + <usize>xi * posBytes, 0);
            continue;
          }
          let s = img + <usize>(c + h) * planeBytes + at0;
          for (let i = 0; i < 6; i++) {
            const row = dt + <usize>(i * 24);
            store<i32>(row, load<u8>(s)); store<i32>(row, load<u8>(s, 1), 4); store<i32>(row, load<u8>(s, 2), 8);
            store<i32>(row, load<u8>(s, 3), 12); store<i32>(row, load<u8>(s, 4), 16); store<i32>(row, load<u8>(s, 5), 20);
            s += <usize>PW;
          }
          // B^T d: each column of the patch; then (B^T d) B: each row, to positions 6i .. 6i + 5.
          for (let j = 0; j < 6; j++) bt6(dt + (<usize>j << 2), 24, et + (<usize>j << 2), 24);
          for (let i = 0; i < 6; i++) bt6i16(et + <usize>(i * 24), at + <usize>(6 * i) * posBytes, posBytes);
        }
        t++;
      }
    }
    for (let mb = 0; mb < MB; mb++) {
      const m0 = mb * MR;
      const rows = min(MR, M - m0);
      for (let tb = 0; tb < ntPad; tb += NR) {
        winogradProducts(36, C2, w + <usize>mb * <usize>C2 * 16, wPos, vbuf + (<usize>tb << 2), posBytes, rowBytes, mbuf);
        const ty0 = (b0 + tb) / TW;
        const tx0 = b0 + tb - ty0 * TW;
        for (let r = 0; r < rows; r++) {
          const m = m0 + r;
          const bv = v128.load32_splat(bias + (<usize>m << 2));
          const sv = v128.load32_splat(mult + (<usize>m << 2));
          for (let h = 0; h < 2; h++) {
            const q = mbuf + <usize>(r * 32 + h * 16);
            // 576 Y = A'^T M A': the columns (positions j, 6 + j, ..., 30 + j) into 4 rows of 6
            // (into `et`, vectors of 4 tiles), then each row into its 4 outputs.
            for (let j = 0; j < 6; j++) at6(q + (<usize>j << 7), 6 << 7, dt + (<usize>j << 4), 6 << 4);
            for (let i = 0; i < 4; i++) at6(dt + <usize>(i * 96), 16, out + <usize>(i * 64), 16);
            for (let k = 0; k < 16; k++) {
              const o = out + (<usize>k << 4);
              v128.store(o, requant4(i32x4.shr_s(i32x4.mul(v128.load(o), inv9), 6), bv, sv, ys, lo, hi));
            }
            // Tile l's outputs are lane l of the 16 vectors (position 4i + j): transposed, 4
            // at a time, into 4 rows of 4 a tile at dt + 64 l, stored a row a vector where the
            // tile lies inside the output (scalar by scalar, its bounds checked, elsewhere).
            for (let i = 0; i < 4; i++) {
              const o = out + (<usize>i << 6);
              const r0 = v128.load(o), r1 = v128.load(o, 16), r2 = v128.load(o, 32), r3 = v128.load(o, 48);
              const a = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), b = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
              const c = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7), d = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
              const at = dt + (<usize>i << 4);
              v128.store(at, v128.shuffle<f32>(a, b, 0, 1, 4, 5));
              v128.store(at, v128.shuffle<f32>(a, b, 2, 3, 6, 7), 64);
              v128.store(at, v128.shuffle<f32>(c, d, 0, 1, 4, 5), 128);
              v128.store(at, v128.shuffle<f32>(c, d, 2, 3, 6, 7), 192);
            }
            const plane = y + ((<usize>m * P) << 2);
            for (let l = 0; l < 4; l++) {
              const k = h * 4 + l;
              if (tb + k >= nt) break;
              let ty = ty0, tx = tx0 + k;
              while (tx >= TW) {
                tx -= TW;
                ty++;
              }
              const oy = 4 * ty, ox = 4 * tx;
              const tile = dt + (<usize>l << 6);
              let o = plane + ((<usize>oy * <usize>OW + <usize>ox) << 2);
              if (oy + 4 <= OH && ox + 4 <= OW) {
                for (let i = 0; i < 4; i++, o += <usize>OW << 2) v128.store(o, v128.load(tile + (<usize>i << 4)));
                continue;
              }
              for (let i = 0; i < 4 && oy + i < OH; i++, o += <usize>OW << 2) {
                for (let j = 0; j < 4 && ox + j < OW; j++) store<f32>(o + (<usize>j << 2), load<f32>(tile + <usize>((i * 4 + j) << 2)));
              }
            }
          }
        }
      }
    }
  }
}

// int8 fc (a quantized Gemm, which the int8 pass makes a 1x1 qconv2d on a 1x1 image): per
// image, x's row quantized once to int16 less the zero point (-255..255, so no zero-point
// correction), then 4 output channels at a time, 16 weights a row per step: the int8 weights
// widened to 16 bits and i32x4.dot_i16x8_s against x, 32 multiply-adds in 4 dot products. The
// 4 rows' sums are reduced into one vector and requantized as the convs' (requant4). Memory
// bound at batch 1: a byte a weight where the float fc reads 4.

/** qu8_fc__wasmsimd: output channels [m0, m1) of every image. */
export function qu8_fc__wasmsimd(p: usize): void {
  const x = pp(p, Qfc.X), w = pp(p, Qfc.W), bias = pp(p, Qfc.BIAS), mult = pp(p, Qfc.MULT), y = pp(p, Qfc.Y), xq = pp(p, Qfc.XQ);
  const K = pi(p, Qfc.K), Kp = <usize>pi(p, Qfc.KP), M = pi(p, Qfc.M), N = pi(p, Qfc.N);
  const m0 = pi(p, Qfc.M0), m1 = pi(p, Qfc.M1);
  const lo = pf(p, Qfc.XLO);
  const vs = f32x4.splat(pf(p, Qfc.XS)), vlo = f32x4.splat(lo), vhi = f32x4.splat(lo + 255);
  const ys = f32x4.splat(pf(p, Qfc.YS)), ylo = f32x4.splat(pf(p, Qfc.YLO)), yhi = f32x4.splat(pf(p, Qfc.YHI));
  const zero = i32x4.splat(0), vloi = i32x4.splat(<i32>lo);
  for (let n = 0; n < N; n++) {
    const row = x + ((<usize>n * <usize>K) << 2);
    // x - zero point as int16: quantize's bytes (0..255) plus lo; the padding past K is 0.
    let k = 0;
    for (; k + 8 <= K; k += 8) {
      const q0 = i32x4.add(quantize(v128.load(row + (<usize>k << 2)), vs, vlo, vhi), vloi);
      const q1 = i32x4.add(quantize(v128.load(row + (<usize>k << 2), 16), vs, vlo, vhi), vloi);
      v128.store(xq + (<usize>k << 1), i16x8.narrow_i32x4_s(q0, q1));
    }
    for (; k < K; k++) {
      const q = i32x4.extract_lane(quantize(f32x4.splat(load<f32>(row + (<usize>k << 2))), vs, vlo, vhi), 0);
      store<i16>(xq + (<usize>k << 1), <i16>(q + <i32>lo));
    }
    for (; k < <i32>Kp; k++) store<i16>(xq + (<usize>k << 1), 0);
    const yRow = y + ((<usize>n * <usize>M) << 2);
    for (let m = m0; m < m1; m += 4) {
      const w0 = w + <usize>m * Kp, w1 = w0 + Kp, w2 = w1 + Kp, w3 = w2 + Kp;
      let a0 = zero, a1 = zero, a2 = zero, a3 = zero;
      for (let kk: usize = 0; kk < Kp; kk += 16) {
        const xa = v128.load(xq + (kk << 1)), xb = v128.load(xq + (kk << 1), 16);
        a0 = dot16(a0, v128.load(w0 + kk), xa, xb);
        a1 = dot16(a1, v128.load(w1 + kk), xa, xb);
        a2 = dot16(a2, v128.load(w2 + kk), xa, xb);
        a3 = dot16(a3, v128.load(w3 + kk), xa, xb);
      }
      // The four rows' lane sums into lanes 0..3.
      const s01 = i32x4.add(v128.shuffle<i32>(a0, a1, 0, 2, 4, 6), v128.shuffle<i32>(a0, a1, 1, 3, 5, 7));
      const s23 = i32x4.add(v128.shuffle<i32>(a2, a3, 0, 2, 4, 6), v128.shuffle<i32>(a2, a3, 1, 3, 5, 7));
      const acc = i32x4.add(v128.shuffle<i32>(s01, s23, 0, 2, 4, 6), v128.shuffle<i32>(s01, s23, 1, 3, 5, 7));
      const v = requant4(acc, v128.load(bias + (<usize>m << 2)), v128.load(mult + (<usize>m << 2)), ys, ylo, yhi);
      const at = yRow + (<usize>m << 2);
      const left = M - m;
      if (left >= 4) v128.store(at, v);
      else {
        v128.store32_lane(at, v, 0);
        if (left > 1) v128.store32_lane(at, v, 1, 4);
        if (left > 2) v128.store32_lane(at, v, 2, 8);
      }
    }
    countMacs(<f64>(m1 - m0 + 3 & ~3) * <f64>Kp);
  }
}

/** acc + 16 int8 weights times 16 int16 values (two vectors), as 4 int32 sums. */
@inline function dot16(acc: v128, w: v128, xa: v128, xb: v128): v128 {
  acc = i32x4.add(acc, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(w), xa));
  return i32x4.add(acc, i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(w), xb));
}

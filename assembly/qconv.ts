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
import { Qconv2dGemm as Q } from './params.generated';

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
  let i = <usize>pi(p, Q.C0) * plane;
  const end = <usize>pi(p, Q.C1) * plane;
  for (; i + 16 <= end; i += 16) {
    const src = x + (i << 2);
    const q0 = quantize(v128.load(src), vs, vlo, vhi);
    const q1 = quantize(v128.load(src, 16), vs, vlo, vhi);
    const q2 = quantize(v128.load(src, 32), vs, vlo, vhi);
    const q3 = quantize(v128.load(src, 48), vs, vlo, vhi);
    v128.store(img + i, i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_s(q0, q1), i16x8.narrow_i32x4_s(q2, q3)));
  }
  for (; i < end; i++) {
    store<u8>(img + i, <u8>i32x4.extract_lane(quantize(f32x4.splat(load<f32>(x + (i << 2))), vs, vlo, vhi), 0));
  }
}

/**
 * The im2col tile of pixels [p0, p0 + nt) of group g, in pairs of k (see the top), padded to
 * ntPad pixels with the zero point; an odd K's last pair is completed with zeros (its weight
 * is zero). Runs of 8 pixels that read 8 consecutive bytes go by vector: an even k writes
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
        if (sw == 1) {
          // Leading taps in the left padding, then whole vectors inside the row, then the rest.
          for (; q < run && iw < 0; q++, iw++) store<u8>(dst + (<usize>q << 1), z8);
          for (; q + 8 <= run && iw + 8 <= Win; q += 8, iw += 8) {
            const v = v128.load8x8_u(src + <usize>iw);
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
 * One output channel's 8 pixels: requantized (see the top) and stored, all 8 when `cols` is 8,
 * else the first `cols` through `block`.
 */
function requantize(
  acc0: v128, acc1: v128, bias: usize, mult: usize, m: i32, y: usize, at: usize, cols: i32,
  ys: v128, lo: v128, hi: v128, block: usize,
): void {
  const b = v128.load32_splat(bias + (<usize>m << 2));
  const s = v128.load32_splat(mult + (<usize>m << 2));
  // + 0 turns a step of -0 (nearest of a small negative) into +0, as (q - zero point) * scale gives.
  const zero = f32x4.splat(0);
  const v0 = f32x4.mul(f32x4.add(f32x4.pmin(hi, f32x4.pmax(lo, f32x4.nearest(f32x4.mul(f32x4.convert_i32x4_s(i32x4.add(acc0, b)), s)))), zero), ys);
  const v1 = f32x4.mul(f32x4.add(f32x4.pmin(hi, f32x4.pmax(lo, f32x4.nearest(f32x4.mul(f32x4.convert_i32x4_s(i32x4.add(acc1, b)), s)))), zero), ys);
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
      im2colPairs(p, g, p0, nt, ntPad, col, z8);
      const rowBytes = <usize>ntPad << 1;
      for (let mb = 0; mb < MBg; mb++) {
        const wb = w + <usize>(g * MBg + mb) * blockBytes;
        const m0 = g * Mg + mb * MR;
        const rows = min(MR, Mg - mb * MR);
        for (let pb = 0; pb < ntPad; pb += NR) {
          let a = wb;
          let b = col + (<usize>pb << 1);
          let c0x0 = i32x4.splat(0), c0x1 = i32x4.splat(0);
          let c1x0 = i32x4.splat(0), c1x1 = i32x4.splat(0);
          let c2x0 = i32x4.splat(0), c2x1 = i32x4.splat(0);
          let c3x0 = i32x4.splat(0), c3x1 = i32x4.splat(0);
          for (let kk = 0; kk < K2; kk++) {
            const vb0 = v128.load8x8_u(b);
            const vb1 = v128.load8x8_u(b, 8);
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
            b += rowBytes;
          }
          countMacs(<f64>K2 * 64);
          const pix = p0 + pb;
          const cols = min(NR, nt - pb);
          const at = (<usize>m0 * <usize>P + <usize>pix) << 2;
          const plane = <usize>P << 2;
          requantize(c0x0, c0x1, bias, mult, m0, y, at, cols, ys, lo, hi, block);
          if (rows > 1) requantize(c1x0, c1x1, bias, mult, m0 + 1, y, at + plane, cols, ys, lo, hi, block);
          if (rows > 2) requantize(c2x0, c2x1, bias, mult, m0 + 2, y, at + 2 * plane, cols, ys, lo, hi, block);
          if (rows > 3) requantize(c3x0, c3x1, bias, mult, m0 + 3, y, at + 3 * plane, cols, ys, lo, hi, block);
        }
      }
    }
  }
}

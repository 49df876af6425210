// f32 convolution as a GEMM over im2col tiles, NCHW, with a fused epilogue.
//
// Per image and group: Y[m, p] = act(sum_k Wp[m, k] * Col[k, p] + bias[m] + res[m, p]),
// m an output channel, p an output pixel, k = (c, kh, kw). Output pixels are split into
// tiles of NT; each tile's Col (K x NT, zero-padded to a multiple of 8 pixels) is built
// once and reused by every block of 4 output channels. The micro-kernel keeps a 4 x 8
// block of outputs in eight v128 accumulators (vacc{row}x{lanes}) over the whole of K:
// per k it splats 4 packed weights and loads 8 pixels.
//
// Packed weights (packConvWeights, src/backends/wasm/kernels/conv2d.ts): per group, per block of 4 output channels,
// K rows of 4 floats (channels past the group's end are zero).
import { activate, countMacs, madd, pf, pi, pp } from './params';
import { Conv2dGemm } from './params.generated';

// Parameter block: Conv2dGemm (assembly/params.json).
// The share of the work this call does (threads split pixel tiles, or channel blocks
// when there are too few tiles): tiles [TILE0, TILE1), channel blocks [MB0, MB1) per group.
// K is processed in chunks of KC rows, so a chunk of the im2col tile stays in cache while
// every block of output channels reads it; between chunks, the 4 x 8 accumulators of every
// block wait in ACC (MBg * 4 * ntPad floats of scratch). KC >= K: one chunk, no ACC.

@inline const MR = 4;
@inline const NR = 8;

/** Builds the im2col tile: rows k of Cg*KH*KW, columns the pixels [p0, p0 + nt), zero-padded to ntPad. */
function im2col(p: usize, g: i32, p0: i32, nt: i32, ntPad: i32): void {
  const x = pp(p, Conv2dGemm.X);
  const col = pp(p, Conv2dGemm.COL);
  const Cin = pi(p, Conv2dGemm.C), Hin = pi(p, Conv2dGemm.H), Win = pi(p, Conv2dGemm.WD);
  const groups = pi(p, Conv2dGemm.GROUPS), Kh = pi(p, Conv2dGemm.KH), Kw = pi(p, Conv2dGemm.KW);
  const sh = pi(p, Conv2dGemm.SH), sw = pi(p, Conv2dGemm.SW), pt = pi(p, Conv2dGemm.PT), pl = pi(p, Conv2dGemm.PL), dh = pi(p, Conv2dGemm.DH), dw = pi(p, Conv2dGemm.DW);
  const Ow = pi(p, Conv2dGemm.OW);
  const Cg = Cin / groups;
  const rowBytes = <usize>ntPad << 2;
  let row = col;
  for (let c = 0; c < Cg; c++) {
    const plane = x + ((<usize>(g * Cg + c) * <usize>Hin * <usize>Win) << 2);
    for (let i = 0; i < Kh; i++) {
      for (let j = 0; j < Kw; j++) {
        let t = 0;
        let oh = p0 / Ow;
        let ow = p0 - oh * Ow;
        while (t < nt) {
          const run = min(Ow - ow, nt - t);
          const ih = oh * sh - pt + i * dh;
          const dst = row + (<usize>t << 2);
          if (ih < 0 || ih >= Hin) {
            memory.fill(dst, 0, <usize>run << 2);
          } else {
            const src = plane + ((<usize>ih * <usize>Win) << 2);
            let iw = ow * sw - pl + j * dw;
            if (sw == 1 && iw >= 0 && iw + run <= Win) {
              memory.copy(dst, src + (<usize>iw << 2), <usize>run << 2);
            } else {
              for (let q = 0; q < run; q++, iw += sw) {
                store<f32>(dst + (<usize>q << 2), iw >= 0 && iw < Win ? load<f32>(src + (<usize>iw << 2)) : 0);
              }
            }
          }
          t += run;
          oh++;
          ow = 0;
        }
        if (ntPad > nt) memory.fill(row + (<usize>nt << 2), 0, <usize>(ntPad - nt) << 2);
        row += rowBytes;
      }
    }
  }
}

/** f32_conv2d_gemm_4x8__wasmsimd: the general convolution (any kernel, stride, dilation, padding, groups). */
export function f32_conv2d_gemm_4x8__wasmsimd(p: usize): void {
  const Cin = pi(p, Conv2dGemm.C), groups = pi(p, Conv2dGemm.GROUPS), Kh = pi(p, Conv2dGemm.KH), Kw = pi(p, Conv2dGemm.KW);
  const Mout = pi(p, Conv2dGemm.M), Oh = pi(p, Conv2dGemm.OH), Ow = pi(p, Conv2dGemm.OW), ntMax = pi(p, Conv2dGemm.NT);
  const act = pi(p, Conv2dGemm.ACT);
  const a0 = f32x4.splat(pf(p, Conv2dGemm.A0)), a1 = f32x4.splat(pf(p, Conv2dGemm.A1));
  const w = pp(p, Conv2dGemm.W), bias = pp(p, Conv2dGemm.BIAS), res = pp(p, Conv2dGemm.RES), y = pp(p, Conv2dGemm.Y), col = pp(p, Conv2dGemm.COL), partial = pp(p, Conv2dGemm.PARTIAL);
  const Cg = Cin / groups, Mg = Mout / groups;
  const K = Cg * Kh * Kw;
  const P = Oh * Ow;
  const blockBytes = <usize>K * MR * 4;
  const MBg = (Mg + MR - 1) / MR;
  const tile0 = pi(p, Conv2dGemm.TILE0), tile1 = pi(p, Conv2dGemm.TILE1), mb0 = pi(p, Conv2dGemm.MB0), mb1 = pi(p, Conv2dGemm.MB1);
  const kc = pi(p, Conv2dGemm.KC), accBuf = pp(p, Conv2dGemm.ACC);
  for (let g = 0; g < groups; g++) {
    for (let tile = tile0; tile < tile1; tile++) {
      const p0 = tile * ntMax;
      const nt = min(ntMax, P - p0);
      const ntPad = (nt + NR - 1) & ~(NR - 1);
      im2col(p, g, p0, nt, ntPad);
      const colStride = <usize>ntPad << 2;
      for (let k0 = 0; k0 < K; k0 += kc) {
        const k1 = min(K, k0 + kc);
        const first = k0 == 0, last = k1 == K;
        for (let mb = mb0; mb < mb1; mb++) {
          const wb = w + <usize>(g * MBg + mb) * blockBytes;
          const m0 = g * Mg + mb * MR;
          const rows = min(MR, Mg - mb * MR);
          for (let pb = 0; pb < ntPad; pb += NR) {
            // This block's slot in ACC: 4 rows of 8, contiguous.
            const slot = accBuf + ((<usize>((mb * ntPad + pb) * MR)) << 2);
            let vacc0x0 = f32x4.splat(0), vacc0x1 = f32x4.splat(0);
            let vacc1x0 = f32x4.splat(0), vacc1x1 = f32x4.splat(0);
            let vacc2x0 = f32x4.splat(0), vacc2x1 = f32x4.splat(0);
            let vacc3x0 = f32x4.splat(0), vacc3x1 = f32x4.splat(0);
            if (!first) {
              vacc0x0 = v128.load(slot); vacc0x1 = v128.load(slot, 16);
              vacc1x0 = v128.load(slot, 32); vacc1x1 = v128.load(slot, 48);
              vacc2x0 = v128.load(slot, 64); vacc2x1 = v128.load(slot, 80);
              vacc3x0 = v128.load(slot, 96); vacc3x1 = v128.load(slot, 112);
            }
            let wk = wb + ((<usize>k0 * MR) << 2);
            let ck = col + (<usize>pb << 2) + <usize>k0 * colStride;
            for (let k = k0; k < k1; k++) {
              const vx0 = v128.load(ck);
              const vx1 = v128.load(ck, 16);
              const vw0 = v128.load32_splat(wk);
              const vw1 = v128.load32_splat(wk, 4);
              const vw2 = v128.load32_splat(wk, 8);
              const vw3 = v128.load32_splat(wk, 12);
              vacc0x0 = madd(vw0, vx0, vacc0x0);
              vacc0x1 = madd(vw0, vx1, vacc0x1);
              vacc1x0 = madd(vw1, vx0, vacc1x0);
              vacc1x1 = madd(vw1, vx1, vacc1x1);
              vacc2x0 = madd(vw2, vx0, vacc2x0);
              vacc2x1 = madd(vw2, vx1, vacc2x1);
              vacc3x0 = madd(vw3, vx0, vacc3x0);
              vacc3x1 = madd(vw3, vx1, vacc3x1);
              wk += 16;
              ck += colStride;
            }
            countMacs(<f64>(k1 - k0) * (MR * NR));
            if (!last) {
              v128.store(slot, vacc0x0); v128.store(slot, vacc0x1, 16);
              v128.store(slot, vacc1x0, 32); v128.store(slot, vacc1x1, 48);
              v128.store(slot, vacc2x0, 64); v128.store(slot, vacc2x1, 80);
              v128.store(slot, vacc3x0, 96); v128.store(slot, vacc3x1, 112);
              continue;
            }
            const pix = p0 + pb;
            const cols = min(NR, nt - pb);
            if (rows == MR && cols == NR) {
              epilogue(y, bias, res, m0, pix, P, vacc0x0, vacc0x1, act, a0, a1);
              epilogue(y, bias, res, m0 + 1, pix, P, vacc1x0, vacc1x1, act, a0, a1);
              epilogue(y, bias, res, m0 + 2, pix, P, vacc2x0, vacc2x1, act, a0, a1);
              epilogue(y, bias, res, m0 + 3, pix, P, vacc3x0, vacc3x1, act, a0, a1);
            } else {
              // A partial block: spill to scratch, then write the valid part.
              v128.store(partial, vacc0x0);
              v128.store(partial, vacc0x1, 16);
              v128.store(partial, vacc1x0, 32);
              v128.store(partial, vacc1x1, 48);
              v128.store(partial, vacc2x0, 64);
              v128.store(partial, vacc2x1, 80);
              v128.store(partial, vacc3x0, 96);
              v128.store(partial, vacc3x1, 112);
              for (let r = 0; r < rows; r++) {
                const m = m0 + r;
                const b: f32 = bias ? load<f32>(bias + (<usize>m << 2)) : 0;
                for (let c = 0; c < cols; c++) {
                  const at = (<usize>m * <usize>P + <usize>(pix + c)) << 2;
                  let v = load<f32>(partial + (<usize>(r * NR + c) << 2)) + b;
                  if (res) v += load<f32>(res + at);
                  store<f32>(y + at, f32x4.extract_lane(activate(f32x4.splat(v), act, a0, a1), 0));
                }
              }
            }
          }
        }
      }
    }
  }
}

@inline function epilogue(
  y: usize, bias: usize, res: usize, m: i32, pix: i32, P: i32,
  v0: v128, v1: v128, act: i32, a0: v128, a1: v128,
): void {
  const at = (<usize>m * <usize>P + <usize>pix) << 2;
  if (bias) {
    const b = v128.load32_splat(bias + (<usize>m << 2));
    v0 = f32x4.add(v0, b);
    v1 = f32x4.add(v1, b);
  }
  if (res) {
    v0 = f32x4.add(v0, v128.load(res + at));
    v1 = f32x4.add(v1, v128.load(res + at, 16));
  }
  v128.store(y + at, activate(v0, act, a0, a1));
  v128.store(y + at, activate(v1, act, a0, a1), 16);
}

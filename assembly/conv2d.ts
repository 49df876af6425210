// f32 convolution as a GEMM over im2col tiles, NCHW, with a fused epilogue.
//
// Per image and group: Y[m, p] = act(sum_k Wp[m, k] * Col[k, p] + bias[m] + res[m, p]),
// m an output channel, p an output pixel, k = (c, kh, kw). Output pixels are split into
// tiles of NT; each tile's Col (K x NT, zero-padded to a multiple of 8 pixels) is built
// once and reused by every block of 4 output channels. Each 4 x 8 block of outputs is
// computed by the GEMM micro-kernel f32_gemm_ukernel_4x8 (assembly/gemm-ukernel.ts, shared
// with fc and gemm), one call per chunk of K: A = 4 rows of packed weights, B = 8 pixels of
// the tile; per k it splats 4 weights and loads 8 pixels. The epilogue reads the block back.
//
// Packed weights (packConvWeights, src/backends/wasm/kernels/conv2d.ts): per group, per block of 4 output channels,
// K rows of 4 floats (channels past the group's end are zero).
import { f32_gemm_ukernel_4x8 } from './gemm-ukernel';
import { activatesLater, activateRows, activateSimple, pf, pi, pp } from './params';
import { Conv2dGemm } from './params.generated';

// Parameter block: Conv2dGemm (assembly/params.json).
// The share of the work this call does (threads split the pixels, or channel blocks when
// the pixels share out unevenly): pixels [P0, P1) in tiles of NT, channel blocks [MB0, MB1)
// per group. B, when set, holds the image's im2col tiles (x32_im2col__wasm), read in place.
// K is processed in chunks of KC rows, so a chunk of the im2col tile stays in cache while
// every block of output channels reads it; between chunks, the 4 x 8 accumulators of every
// block wait in ACC (MBg * 4 * ntPad floats of scratch). KC >= K: one chunk, no ACC.

@inline const MR = 4;
@inline const NR = 8;

/**
 * Builds an im2col tile at `col`: rows k of Cg*KH*KW (those of input channels [c0, c1)),
 * columns the pixels [p0, p0 + nt), zero-padded to ntPad.
 */
function im2col(p: usize, g: i32, p0: i32, nt: i32, ntPad: i32, col: usize, c0: i32, c1: i32): void {
  const x = pp(p, Conv2dGemm.X);
  const Cin = pi(p, Conv2dGemm.C), Hin = pi(p, Conv2dGemm.H), Win = pi(p, Conv2dGemm.WD);
  const groups = pi(p, Conv2dGemm.GROUPS), Kh = pi(p, Conv2dGemm.KH), Kw = pi(p, Conv2dGemm.KW);
  const sh = pi(p, Conv2dGemm.SH), sw = pi(p, Conv2dGemm.SW), pt = pi(p, Conv2dGemm.PT), pl = pi(p, Conv2dGemm.PL), dh = pi(p, Conv2dGemm.DH), dw = pi(p, Conv2dGemm.DW);
  const Ow = pi(p, Conv2dGemm.OW);
  const Cg = Cin / groups;
  const rowBytes = <usize>ntPad << 2;
  let row = col + <usize>c0 * <usize>(Kh * Kw) * rowBytes;
  for (let c = c0; c < c1; c++) {
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
  const act = pi(p, Conv2dGemm.ACT), s0 = pf(p, Conv2dGemm.A0), s1 = pf(p, Conv2dGemm.A1);
  const a0 = f32x4.splat(s0), a1 = f32x4.splat(s1);
  const w = pp(p, Conv2dGemm.W), bias = pp(p, Conv2dGemm.BIAS), res = pp(p, Conv2dGemm.RES), y = pp(p, Conv2dGemm.Y), col = pp(p, Conv2dGemm.COL), block = pp(p, Conv2dGemm.BLOCK);
  const Cg = Cin / groups, Mg = Mout / groups;
  const K = Cg * Kh * Kw;
  const P = Oh * Ow;
  const blockBytes = <usize>K * MR * 4;
  const MBg = (Mg + MR - 1) / MR;
  const px0 = pi(p, Conv2dGemm.P0), px1 = pi(p, Conv2dGemm.P1), mb0 = pi(p, Conv2dGemm.MB0), mb1 = pi(p, Conv2dGemm.MB1);
  const kc = pi(p, Conv2dGemm.KC), accBuf = pp(p, Conv2dGemm.ACC);
  const b = pp(p, Conv2dGemm.B);
  const chunked = kc < K;
  for (let g = 0; g < groups; g++) {
    for (let p0 = px0; p0 < px1; p0 += ntMax) {
      const nt = min(ntMax, px1 - p0);
      const ntPad = (nt + NR - 1) & ~(NR - 1);
      // The tile: built here, or the image's, built by x32_im2col__wasm (groups 1, p0 a multiple of NT).
      if (!b) im2col(p, g, p0, nt, ntPad, col, 0, Cg);
      const colStride = <usize>ntPad << 2;
      const colBase = b ? b + <usize>(p0 / ntMax) * <usize>K * <usize>ntMax * 4 : col;
      for (let k0 = 0; k0 < K; k0 += kc) {
        const k1 = min(K, k0 + kc);
        const first = k0 == 0, last = k1 == K;
        for (let mb = mb0; mb < mb1; mb++) {
          const wb = w + <usize>(g * MBg + mb) * blockBytes;
          const m0 = g * Mg + mb * MR;
          const rows = min(MR, Mg - mb * MR);
          for (let pb = 0; pb < ntPad; pb += NR) {
            // A = this block's packed weights (K rows of 4), B = the im2col tile's 8 pixels.
            // Between K chunks the block waits in its slot of ACC (4 rows of 8, contiguous).
            const slot = chunked ? accBuf + ((<usize>((mb * ntPad + pb) * MR)) << 2) : block;
            f32_gemm_ukernel_4x8(
              MR, k1 - k0, wb + ((<usize>k0 * MR) << 2), 4, MR * 4, colBase + (<usize>pb << 2) + <usize>k0 * colStride, colStride, slot, !first,
            );
            if (!last) continue;
            const pix = p0 + pb;
            const cols = min(NR, nt - pb);
            if (rows == MR && cols == NR) {
              epilogue(y, bias, res, m0, pix, P, slot, act, a0, a1);
              epilogue(y, bias, res, m0 + 1, pix, P, slot + 32, act, a0, a1);
              epilogue(y, bias, res, m0 + 2, pix, P, slot + 64, act, a0, a1);
              epilogue(y, bias, res, m0 + 3, pix, P, slot + 96, act, a0, a1);
            } else {
              // A partial block: only its valid part is written.
              for (let r = 0; r < rows; r++) {
                const m = m0 + r;
                const b: f32 = bias ? load<f32>(bias + (<usize>m << 2)) : 0;
                for (let c = 0; c < cols; c++) {
                  const at = (<usize>m * <usize>P + <usize>(pix + c)) << 2;
                  let v = load<f32>(slot + (<usize>(r * NR + c) << 2)) + b;
                  if (res) v += load<f32>(res + at);
                  store<f32>(y + at, f32x4.extract_lane(activateSimple(f32x4.splat(v), act, a0, a1), 0));
                }
              }
            }
          }
          // silu and gelu (params.ts), over this block of channels' tile as stored.
          if (last && activatesLater(act)) activateRows(y + ((<usize>m0 * <usize>P + <usize>p0) << 2), <usize>P << 2, rows, nt, act, s0, s1);
        }
      }
    }
  }
}

/**
 * x32_im2col__wasm: the im2col tiles of the whole image (groups 1) at B, tile t (pixels
 * [t * NT, t * NT + NT)) at B + t * K * NT * 4, laid out as the GEMM builds its own; this
 * call's share, rows of input channels [C0, C1). Threads build the image's tiles together
 * once, then each runs the GEMM on its blocks of output channels over all of them: no
 * thread repeats another's im2col.
 */
export function x32_im2col__wasm(p: usize): void {
  const ntMax = pi(p, Conv2dGemm.NT), c0 = pi(p, Conv2dGemm.C0), c1 = pi(p, Conv2dGemm.C1);
  const P = pi(p, Conv2dGemm.OH) * pi(p, Conv2dGemm.OW);
  const tileBytes = <usize>pi(p, Conv2dGemm.C) * <usize>(pi(p, Conv2dGemm.KH) * pi(p, Conv2dGemm.KW)) * <usize>ntMax * 4;
  let col = pp(p, Conv2dGemm.B);
  for (let p0 = 0; p0 < P; p0 += ntMax, col += tileBytes) {
    const nt = min(ntMax, P - p0);
    im2col(p, 0, p0, nt, (nt + NR - 1) & ~(NR - 1), col, c0, c1);
  }
}

/** One row of a full block: its 8 accumulated pixels (at `row`) + bias + residual, activated (all but silu and gelu, params.ts), stored. */
@inline function epilogue(
  y: usize, bias: usize, res: usize, m: i32, pix: i32, P: i32,
  row: usize, act: i32, a0: v128, a1: v128,
): void {
  const at = (<usize>m * <usize>P + <usize>pix) << 2;
  let v0 = v128.load(row), v1 = v128.load(row, 16);
  if (bias) {
    const b = v128.load32_splat(bias + (<usize>m << 2));
    v0 = f32x4.add(v0, b);
    v1 = f32x4.add(v1, b);
  }
  if (res) {
    v0 = f32x4.add(v0, v128.load(res + at));
    v1 = f32x4.add(v1, v128.load(res + at, 16));
  }
  v128.store(y + at, activateSimple(v0, act, a0, a1));
  v128.store(y + at, activateSimple(v1, act, a0, a1), 16);
}

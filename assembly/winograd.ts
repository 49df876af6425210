// f32 3x3 stride-1 convolution by Winograd's minimal filtering F(4x4, 3x3), NCHW, groups 1,
// dilation 1, any padding, with the direct GEMM path's fused epilogue (bias, residual,
// activation). Lavin & Gray's algorithm as NNPACK and XNNPACK run it; our own code:
//
//   Y = A^T [ U (.) V ] A,  U = G g G^T (weights, 6x6 per (m, c), made once at compile by the
//   host: src/backends/wasm/kernels/winograd.ts), V = B^T d B (a 6x6 input patch d per 4x4
//   output tile), the products summed over input channels: per position xi of the 6x6 (36 of
//   them), M[xi] = U[xi] (M x C) times V[xi] (C x tiles), one GEMM each on the shared 4x8
//   micro-kernel (assembly/gemm-ukernel.ts): 36 C multiplications per tile and output channel
//   instead of 16 * 9 C, 4x fewer (the MAC counter counts these, padding included).
//
// Interpolation points 0, 1, -1, 1/2, -1/2 and infinity (the matrices below, derived by
// Toom-Cook with the Lagrange denominators in G, where they are rounded once, in f64, at
// compile): A^T's entries are powers of 2 (exact), B^T's small integers. Measured in f32
// against a float64 direct convolution (random weights of He scale, inputs in [0, 1)), one
// layer: 4e-6 to 7e-6 of max |output| for 64 to 512 channels, against 1e-6 to 3e-6 for the
// direct GEMM; whole zoo models: see README (Architecture, wasm).
//
//   B^T = [1  0 -5  0  4  0]   G = [   1     0     0 ]   A^T = [1  1  1    1    1   0]
//         [0 -1 -1  4  4  0]       [  1/6   1/6   1/6]         [0  1 -1   1/2 -1/2  0]
//         [0  1 -1 -4  4  0]       [  1/6  -1/6   1/6]         [0  1  1   1/4  1/4  0]
//         [0 -1 -2  1  2  0]       [ -4/3  -2/3  -1/3]         [0  1 -1   1/8 -1/8  1]
//         [0  1 -2 -1  2  0]       [ -4/3   2/3  -1/3]
//         [0  1  0 -5  0  4]       [   0     0    1/4]
//
// Tiles (4x4 outputs, TH x TW of them, row-major) are taken NB at a time (a block: the host
// sizes NB so the block's V, 36 x C x NB floats, and M, 36 x M x NB, stay in L2): the input
// transform writes the block's V, the 36 GEMMs its M, the output transform reads M back and
// stores the outputs. Transforms run on 4 tiles at once, one tile per lane: for 4 tiles side
// by side in one row and inside the image, a row of their patches is 18 contiguous floats,
// loaded as 4 + 4 + 4 + 4 + 2 and transposed; other groups (borders, padding, groups that
// wrap to the next tile row) are gathered lane by lane with zeros outside the image.
// The input transform also sums each tile's 36 values: a tile whose sum is not finite (a NaN
// or an infinity in its patch, or an overflow) is computed by the direct formula instead
// (directTile), so NaN and infinities reach the outputs a direct convolution gives them to.
//
// Layouts (floats):
//   U: per xi, per block of 4 output channels, C rows of 4 (the direct path's A panels)
//   V: per xi, per input channel, NB tiles                 (B of the GEMM, row stride NB)
//   M: per xi, per block of 4 output channels, per 8 tiles, 4 rows of 8 (the micro-kernel's c)
import { f32_gemm_ukernel_4x8 } from './gemm-ukernel';
import { activatesLater, activateRows, activateSimple, madd, pf, pi, pp } from './params';
import { Conv2dWinograd } from './params.generated';

@inline const MR = 4;
@inline const NR = 8;
/** Bytes between rows of a 6x6 of v128 (the gather buffer, the transform's temporaries). */
@inline const ROW = 6 * 16;

/** B^T d for d = d0..d5 (one row or column of 4 patches, a tile per lane): the six results `stride` bytes apart from `dst`. */
@inline function inputTransform6(dst: usize, stride: usize, d0: v128, d1: v128, d2: v128, d3: v128, d4: v128, d5: v128): v128 {
  const four = f32x4.splat(4), minusFive = f32x4.splat(-5), two = f32x4.splat(2);
  const v0 = madd(minusFive, d2, madd(four, d4, d0));
  const a = f32x4.sub(f32x4.mul(four, d4), d2);
  const b = f32x4.sub(f32x4.mul(four, d3), d1);
  const v1 = f32x4.add(a, b), v2 = f32x4.sub(a, b);
  const e = f32x4.mul(two, f32x4.sub(d4, d2));
  const f = f32x4.sub(d3, d1);
  const v3 = f32x4.add(e, f), v4 = f32x4.sub(e, f);
  const v5 = madd(minusFive, d3, madd(four, d5, d1));
  v128.store(dst, v0);
  v128.store(dst + stride, v1);
  v128.store(dst + 2 * stride, v2);
  v128.store(dst + 3 * stride, v3);
  v128.store(dst + 4 * stride, v4);
  v128.store(dst + 5 * stride, v5);
  // Their sum: finite unless one of them is not (or it overflows: then a false alarm, harmless).
  return f32x4.add(f32x4.add(f32x4.add(v0, v1), f32x4.add(v2, v3)), f32x4.add(v4, v5));
}

/** Row r of 4 side-by-side patches from 18 contiguous floats at `src`, transposed to one tile per lane, row-transformed into tmp's row r. */
@inline function rowFromImage(src: usize, tmp: usize): void {
  const a0 = v128.load(src), a1 = v128.load(src, 16), a2 = v128.load(src, 32), a3 = v128.load(src, 48);
  const a4 = v128.load64_zero(src, 64);
  // Tile t's column j is float 4t + j: lane j of a_t for j < 4, lane j - 4 of a_{t+1} after.
  const t0 = f32x4.shuffle(a0, a1, 0, 4, 1, 5), t1 = f32x4.shuffle(a2, a3, 0, 4, 1, 5);
  const t2 = f32x4.shuffle(a0, a1, 2, 6, 3, 7), t3 = f32x4.shuffle(a2, a3, 2, 6, 3, 7);
  const u0 = f32x4.shuffle(a1, a2, 0, 4, 1, 5), u1 = f32x4.shuffle(a3, a4, 0, 4, 1, 5);
  inputTransform6(
    tmp, 16,
    f64x2.shuffle(t0, t1, 0, 2), f64x2.shuffle(t0, t1, 1, 3), f64x2.shuffle(t2, t3, 0, 2), f64x2.shuffle(t2, t3, 1, 3),
    f64x2.shuffle(u0, u1, 0, 2), f64x2.shuffle(u0, u1, 1, 3),
  );
}

/**
 * V for input channel c of 4 tiles [q, q + 4) (tiles past `tiles` zero): the patches to
 * one tile per lane, B^T d B, the 36 results stored `xiStride` bytes apart at `v`; the sum of
 * the 36 added to the group's lanes at `check` (non-finite where a value is).
 */
function inputTile4(p: usize, c: i32, q: i32, tiles: i32, v: usize, xiStride: usize, gather: usize, tmp: usize, check: usize): void {
  const x = pp(p, Conv2dWinograd.X);
  const H = pi(p, Conv2dWinograd.H), W = pi(p, Conv2dWinograd.WD);
  const pt = pi(p, Conv2dWinograd.PT), pl = pi(p, Conv2dWinograd.PL), TW = pi(p, Conv2dWinograd.TW);
  const plane = x + ((<usize>c * <usize>H * <usize>W) << 2);
  const ty = q / TW, tx = q - ty * TW;
  const iy = 4 * ty - pt, ix = 4 * tx - pl;
  if (q + 4 <= tiles && tx + 4 <= TW && iy >= 0 && iy + 6 <= H && ix >= 0 && ix + 18 <= W) {
    // Four tiles side by side inside the image: rows straight from it.
    let src = plane + ((<usize>iy * <usize>W + <usize>ix) << 2);
    for (let r = 0; r < 6; r++, src += <usize>W << 2) rowFromImage(src, tmp + <usize>r * ROW);
  } else {
    // Lane by lane, zeros outside the image and past the last tile.
    for (let t = 0; t < 4; t++) {
      const qt = q + t;
      const tyt = qt / TW, txt = qt - tyt * TW;
      const y0 = 4 * tyt - pt, x0 = 4 * txt - pl;
      const valid = qt < tiles;
      for (let r = 0; r < 6; r++) {
        const yy = y0 + r;
        const rowOk = valid && yy >= 0 && yy < H;
        const src = plane + ((<usize>yy * <usize>W) << 2);
        for (let j = 0; j < 6; j++) {
          const xx = x0 + j;
          store<f32>(gather + <usize>(r * 6 + j) * 16 + (<usize>t << 2), rowOk && xx >= 0 && xx < W ? load<f32>(src + (<usize>xx << 2)) : 0);
        }
      }
    }
    for (let r = 0; r < 6; r++) {
      const g = gather + <usize>r * ROW;
      inputTransform6(tmp + <usize>r * ROW, 16, v128.load(g), v128.load(g, 16), v128.load(g, 32), v128.load(g, 48), v128.load(g, 64), v128.load(g, 80));
    }
  }
  // Columns: B^T along the patch rows, into V at xi = 6i + k.
  let sum = v128.load(check);
  for (let k = 0; k < 6; k++) {
    const s = tmp + (<usize>k << 4);
    sum = f32x4.add(sum, inputTransform6(
      v + <usize>k * xiStride, 6 * xiStride,
      v128.load(s), v128.load(s, ROW), v128.load(s, 2 * ROW), v128.load(s, 3 * ROW), v128.load(s, 4 * ROW), v128.load(s, 5 * ROW),
    ));
  }
  v128.store(check, sum);
}

/**
 * Tile q's outputs of channels [m0, m1) by the direct formula, for tiles whose transformed
 * input is not finite: Winograd would spread a NaN or an infinity over the whole 6x6 patch
 * (B^T mixes every value of it, and inf - inf is NaN), where a direct convolution gives NaN or
 * an infinity only to the outputs whose 3x3 window holds it, as PyTorch and the reference
 * do. The 3x3 weights are taken back from U: g = L U L^T with L = [1 0 0 0 0 0; 0 3 -3 0 0 0;
 * 0 0 0 0 0 4] (L G = I), a few ulps from the originals. Each output sums c, then the 3x3
 * window, as the direct path does; padding reads as 0 (times a NaN weight, NaN, as there).
 */
function directTile(p: usize, q: i32, m0: i32, m1: i32, acc: usize, tail: usize): void {
  const x = pp(p, Conv2dWinograd.X), u = pp(p, Conv2dWinograd.U), bias = pp(p, Conv2dWinograd.BIAS), res = pp(p, Conv2dWinograd.RES), y = pp(p, Conv2dWinograd.Y);
  const C = pi(p, Conv2dWinograd.C), H = pi(p, Conv2dWinograd.H), W = pi(p, Conv2dWinograd.WD), Mout = pi(p, Conv2dWinograd.M);
  const Oh = pi(p, Conv2dWinograd.OH), Ow = pi(p, Conv2dWinograd.OW), TW = pi(p, Conv2dWinograd.TW);
  const pt = pi(p, Conv2dWinograd.PT), pl = pi(p, Conv2dWinograd.PL);
  const act = pi(p, Conv2dWinograd.ACT), s0 = pf(p, Conv2dWinograd.A0), s1 = pf(p, Conv2dWinograd.A1);
  const a0 = f32x4.splat(s0), a1 = f32x4.splat(s1);
  const MB = (Mout + MR - 1) / MR;
  const uXi = <usize>MB * <usize>C * MR << 2;
  const ty = q / TW, tx = q - ty * TW;
  const oy0 = 4 * ty, ox0 = 4 * tx;
  const rows = min(4, Oh - oy0), n = min(4, Ow - ox0);
  for (let m = m0; m < m1; m++) {
    memory.fill(acc, 0, 64);
    for (let c = 0; c < C; c++) {
      const uc = u + ((<usize>((m >> 2) * C + c) << 4) + (<usize>(m & 3) << 2));
      const plane = x + ((<usize>c * <usize>H * <usize>W) << 2);
      for (let i = 0; i < 3; i++) {
        // Row i of L U: U's row 0, 3 (row 1 - row 2), or 4 row 5; then its columns the same way.
        const r0 = uc + <usize>(i == 0 ? 0 : i == 1 ? 6 : 30) * uXi;
        let t0: f32, t1: f32, t2: f32, t5: f32;
        if (i == 1) {
          const r2 = uc + 12 * uXi;
          t0 = 3 * (load<f32>(r0) - load<f32>(r2));
          t1 = 3 * (load<f32>(r0 + uXi) - load<f32>(r2 + uXi));
          t2 = 3 * (load<f32>(r0 + 2 * uXi) - load<f32>(r2 + 2 * uXi));
          t5 = 3 * (load<f32>(r0 + 5 * uXi) - load<f32>(r2 + 5 * uXi));
        } else {
          const s: f32 = i == 0 ? 1 : 4;
          t0 = s * load<f32>(r0);
          t1 = s * load<f32>(r0 + uXi);
          t2 = s * load<f32>(r0 + 2 * uXi);
          t5 = s * load<f32>(r0 + 5 * uXi);
        }
        const g0 = t0, g1: f32 = 3 * (t1 - t2), g2: f32 = 4 * t5;
        for (let oy = 0; oy < rows; oy++) {
          const iy = oy0 + oy + i - pt;
          const rowOk = iy >= 0 && iy < H;
          const src = plane + ((<usize>iy * <usize>W) << 2);
          for (let ox = 0; ox < n; ox++) {
            const ix = ox0 + ox - pl;
            const v0: f32 = rowOk && ix >= 0 && ix < W ? load<f32>(src + (<usize>ix << 2)) : 0;
            const v1: f32 = rowOk && ix + 1 >= 0 && ix + 1 < W ? load<f32>(src + (<usize>(ix + 1) << 2)) : 0;
            const v2: f32 = rowOk && ix + 2 >= 0 && ix + 2 < W ? load<f32>(src + (<usize>(ix + 2) << 2)) : 0;
            const at = acc + (<usize>(oy * 4 + ox) << 2);
            store<f32>(at, load<f32>(at) + v0 * g0 + v1 * g1 + v2 * g2);
          }
        }
      }
    }
    const b = bias ? v128.load32_splat(bias + (<usize>m << 2)) : f32x4.splat(0);
    const plane = <usize>m * <usize>Oh * <usize>Ow;
    for (let oy = 0; oy < rows; oy++) {
      epilogue4(y, res, (plane + <usize>(oy0 + oy) * <usize>Ow + <usize>ox0) << 2, v128.load(acc + (<usize>oy << 4)), b, n, act, a0, a1, tail);
    }
    if (activatesLater(act)) activateRows(y + ((plane + <usize>oy0 * <usize>Ow + <usize>ox0) << 2), <usize>Ow << 2, rows, n, act, s0, s1);
  }
}

/** A^T m for m = m0..m5 (a tile per lane): the four results `stride` bytes apart from `dst`. */
@inline function outputTransform6(dst: usize, stride: usize, m0: v128, m1: v128, m2: v128, m3: v128, m4: v128, m5: v128): void {
  const s12 = f32x4.add(m1, m2), d12 = f32x4.sub(m1, m2);
  const s34 = f32x4.add(m3, m4), d34 = f32x4.sub(m3, m4);
  v128.store(dst, f32x4.add(f32x4.add(m0, s12), s34));
  v128.store(dst + stride, madd(f32x4.splat(0.5), d34, d12));
  v128.store(dst + 2 * stride, madd(f32x4.splat(0.25), s34, s12));
  v128.store(dst + 3 * stride, f32x4.add(madd(f32x4.splat(0.125), d34, d12), m5));
}

/**
 * Four output pixels of one row at `at` (bytes into Y and RES): + bias + residual,
 * activated as the direct path's epilogue does (relu, clip, leakyrelu here; the others by
 * activateRows once the tile is stored, assembly/params.ts), stored; `n` < 4 at the right
 * border: only the first n lanes, through `tmp`.
 */
function epilogue4(y: usize, res: usize, at: usize, v: v128, b: v128, n: i32, act: i32, a0: v128, a1: v128, tmp: usize): void {
  v = f32x4.add(v, b);
  if (res) {
    if (n == 4) {
      v = f32x4.add(v, v128.load(res + at));
    } else {
      v128.store(tmp, f32x4.splat(0));
      memory.copy(tmp, res + at, <usize>n << 2);
      v = f32x4.add(v, v128.load(tmp));
    }
  }
  v = activateSimple(v, act, a0, a1);
  if (n == 4) {
    v128.store(y + at, v);
  } else {
    v128.store(tmp, v);
    memory.copy(y + at, tmp, <usize>n << 2);
  }
}

/** f32_conv2d_winograd_4x8__wasmsimd: 3x3 stride 1 dilation 1 groups 1, F(4x4, 3x3), fused epilogue. */
export function f32_conv2d_winograd_4x8__wasmsimd(p: usize): void {
  const C = pi(p, Conv2dWinograd.C), Mout = pi(p, Conv2dWinograd.M);
  const Oh = pi(p, Conv2dWinograd.OH), Ow = pi(p, Conv2dWinograd.OW), TW = pi(p, Conv2dWinograd.TW);
  const act = pi(p, Conv2dWinograd.ACT), s0 = pf(p, Conv2dWinograd.A0), s1 = pf(p, Conv2dWinograd.A1);
  const a0 = f32x4.splat(s0), a1 = f32x4.splat(s1);
  const u = pp(p, Conv2dWinograd.U), bias = pp(p, Conv2dWinograd.BIAS), res = pp(p, Conv2dWinograd.RES), y = pp(p, Conv2dWinograd.Y);
  const vBuf = pp(p, Conv2dWinograd.V), mBuf = pp(p, Conv2dWinograd.MBUF), work = pp(p, Conv2dWinograd.WORK);
  const nb = pi(p, Conv2dWinograd.NB);
  const blk0 = pi(p, Conv2dWinograd.BLK0), blk1 = pi(p, Conv2dWinograd.BLK1), mb0 = pi(p, Conv2dWinograd.MB0), mb1 = pi(p, Conv2dWinograd.MB1);
  const TH = (Oh + 3) >> 2;
  const tiles = TH * TW;
  const MB = (Mout + MR - 1) / MR;
  // Scratch of `work`: the gather buffer and the transforms' temporaries (6 x 6 v128 each), 16
  // bytes for partial rows, then a v128 per group of 4 tiles (at most 64 / 4) to check V by.
  const gather = work, tmp = work + 6 * ROW, tail = work + 12 * ROW, checks = tail + 16;
  const vXi = <usize>C * <usize>nb << 2; // bytes between V's xi
  const mXi = <usize>MB * <usize>nb * MR << 2; // bytes between M's xi
  const uXi = <usize>MB * <usize>C * MR << 2; // bytes between U's xi
  for (let blk = blk0; blk < blk1; blk++) {
    const q0 = blk * nb;
    const count = min(nb, tiles - q0);
    const groups = (count + 3) >> 2;
    const cols = (count + NR - 1) & ~(NR - 1);
    // V = B^T d B for every input channel and tile of the block.
    memory.fill(checks, 0, <usize>groups << 4);
    for (let c = 0; c < C; c++) {
      const vc = vBuf + ((<usize>c * <usize>nb) << 2);
      for (let gi = 0; gi < groups; gi++) inputTile4(p, c, q0 + 4 * gi, tiles, vc + (<usize>gi << 4), vXi, gather, tmp, checks + (<usize>gi << 4));
    }
    // M[xi] = U[xi] V[xi]: 4 output channels by 8 tiles per micro-kernel call, K = C.
    for (let xi = 0; xi < 36; xi++) {
      const vx = vBuf + <usize>xi * vXi;
      for (let mb = mb0; mb < mb1; mb++) {
        const ua = u + <usize>xi * uXi + ((<usize>mb * <usize>C * MR) << 2);
        const mOut = mBuf + <usize>xi * mXi + ((<usize>mb * <usize>nb * MR) << 2);
        for (let pb = 0; pb < cols; pb += NR) {
          f32_gemm_ukernel_4x8(MR, C, ua, 4, MR * 4, vx + (<usize>pb << 2), <usize>nb << 2, mOut + (<usize>pb * MR << 2), false);
        }
      }
    }
    // Y = A^T M A per output channel and group of 4 tiles, with the epilogue.
    for (let gi = 0; gi < groups; gi++) {
      const q = q0 + 4 * gi;
      // Tiles (lanes) whose V is not finite: computed directly below, not stored here.
      const sum = v128.load(checks + (<usize>gi << 4));
      const zero = f32x4.sub(sum, sum);
      const bad = i32x4.bitmask(f32x4.ne(zero, zero));
      // M's 4 tiles of this group: 8-tile panel gi / 2, lanes 4 (gi & 1) .. + 4 of each row.
      const gOff = ((<usize>(gi >> 1) * NR * MR + <usize>(gi & 1) * 4) << 2);
      for (let mb = mb0; mb < mb1; mb++) {
        const rows = min(MR, Mout - mb * MR);
        for (let r = 0; r < rows; r++) {
          const m = mb * MR + r;
          const src = mBuf + ((<usize>mb * <usize>nb * MR) << 2) + gOff + ((<usize>r * NR) << 2);
          // Columns k: A^T along the 6 rows i (xi = 6i + k), into tmp[a][k].
          for (let k = 0; k < 6; k++) {
            const s = src + <usize>k * mXi;
            outputTransform6(
              tmp + (<usize>k << 4), ROW,
              v128.load(s), v128.load(s + 6 * mXi), v128.load(s + 12 * mXi), v128.load(s + 18 * mXi), v128.load(s + 24 * mXi), v128.load(s + 30 * mXi),
            );
          }
          // Rows a: A^T along k, into gather[a][b] (lanes: tiles).
          for (let a = 0; a < 4; a++) {
            const s = tmp + <usize>a * ROW;
            outputTransform6(gather + <usize>a * 64, 16, v128.load(s), v128.load(s, 16), v128.load(s, 32), v128.load(s, 48), v128.load(s, 64), v128.load(s, 80));
          }
          const b = bias ? v128.load32_splat(bias + (<usize>m << 2)) : f32x4.splat(0);
          const plane = <usize>m * <usize>Oh * <usize>Ow;
          for (let a = 0; a < 4; a++) {
            // Transposed: one vector per tile, its 4 pixels of output row a.
            const g = gather + <usize>a * 64;
            const y0 = v128.load(g), y1 = v128.load(g, 16), y2 = v128.load(g, 32), y3 = v128.load(g, 48);
            const t0 = f32x4.shuffle(y0, y1, 0, 4, 1, 5), t1 = f32x4.shuffle(y2, y3, 0, 4, 1, 5);
            const t2 = f32x4.shuffle(y0, y1, 2, 6, 3, 7), t3 = f32x4.shuffle(y2, y3, 2, 6, 3, 7);
            for (let t = 0; t < 4; t++) {
              const qt = q + t;
              if (qt >= tiles) break;
              if (bad & (1 << t)) continue;
              const ty = qt / TW, tx = qt - ty * TW;
              const oy = 4 * ty + a;
              if (oy >= Oh) continue;
              const ox = 4 * tx;
              const v = t == 0 ? f64x2.shuffle(t0, t1, 0, 2) : t == 1 ? f64x2.shuffle(t0, t1, 1, 3) : t == 2 ? f64x2.shuffle(t2, t3, 0, 2) : f64x2.shuffle(t2, t3, 1, 3);
              epilogue4(y, res, (plane + <usize>oy * <usize>Ow + <usize>ox) << 2, v, b, min(4, Ow - ox), act, a0, a1, tail);
            }
          }
          // silu and gelu (params.ts: activatesLater), over each tile as stored.
          if (activatesLater(act)) {
            for (let t = 0; t < 4 && q + t < tiles; t++) {
              if (bad & (1 << t)) continue;
              const ty = (q + t) / TW, tx = q + t - ty * TW;
              const at = (plane + <usize>(4 * ty) * <usize>Ow + <usize>(4 * tx)) << 2;
              activateRows(y + at, <usize>Ow << 2, min(4, Oh - 4 * ty), min(4, Ow - 4 * tx), act, s0, s1);
            }
          }
        }
      }
      if (bad) {
        for (let t = 0; t < 4 && q + t < tiles; t++) {
          if (bad & (1 << t)) directTile(p, q + t, mb0 * MR, min(Mout, mb1 * MR), gather, tail);
        }
      }
    }
  }
}

// The f32 GEMM micro-kernels every matrix product of the module runs on (conv2d, fc, gemm),
// XNNPACK style: a tile of MR x 8 outputs kept in v128 accumulators (vacc{row}x{lanes})
// over a run of kc products, per k one splat of A[r, k] per row and two loads of B[k, 0..8).
// Addressing is by pointers and byte strides, so each caller keeps its own layout:
//   A[r, k] at a + r*saRow + k*saK   (conv: packed weights; fc: the input rows; gemm: A')
//   B[k, 0..8) at b + k*sbK          (conv: the im2col tile; fc, gemm: 8-wide panels)
// The block is handed back through memory: `c`, MR rows of 8 floats (32 bytes apart), which
// the caller's epilogue reads (bias, residual, alpha/beta, activation); 4x8 with `accumulate`
// starts from c's values (conv's K split into chunks), else from zero. The hand-off costs 2*MR
// stores and loads per block against 2*MR*kc multiply-adds: on the convolutions of
// bench/gemm-ukernel.bench.mjs it is within noise, ~2% where K is 64 (a 1x1 conv of 64
// channels). Where A's four values of a k lie side by side (conv's packed weights), 4x8
// reads them through one pointer at immediate offsets, as conv's own loop did: a pointer
// per row (four increments a k) ran conv 5-11% slower in the relaxed-SIMD build, where
// fused multiply-adds leave fewer cycles to hide them (within noise in the plain build).
//
// Each call counts the multiply-accumulates it executes (padding rows and columns included).
import { countMacs, madd } from './params';

/**
 * f32_gemm_ukernel_4x8: c[r, 0..8) (+)= sum_{k < kc} A[r, k] B[k, 0..8) for r < 4. Rows
 * r >= mr (1 <= mr <= 4) read A's row mr - 1 again (its pointer clamped, as XNNPACK does),
 * so A is never read past its last row; their outputs are in c but meaningless. `mr` is a
 * constant where the caller always has 4 rows (conv's packed weights are zero-padded).
 */
@inline export function f32_gemm_ukernel_4x8(
  mr: i32, kc: i32, a: usize, saRow: usize, saK: usize, b: usize, sbK: usize, c: usize, accumulate: bool,
): void {
  let a0 = a;
  let a1 = mr > 1 ? a0 + saRow : a0;
  let a2 = mr > 2 ? a1 + saRow : a1;
  let a3 = mr > 3 ? a2 + saRow : a2;
  let vacc0x0 = f32x4.splat(0), vacc0x1 = f32x4.splat(0);
  let vacc1x0 = f32x4.splat(0), vacc1x1 = f32x4.splat(0);
  let vacc2x0 = f32x4.splat(0), vacc2x1 = f32x4.splat(0);
  let vacc3x0 = f32x4.splat(0), vacc3x1 = f32x4.splat(0);
  if (accumulate) {
    vacc0x0 = v128.load(c); vacc0x1 = v128.load(c, 16);
    vacc1x0 = v128.load(c, 32); vacc1x1 = v128.load(c, 48);
    vacc2x0 = v128.load(c, 64); vacc2x1 = v128.load(c, 80);
    vacc3x0 = v128.load(c, 96); vacc3x1 = v128.load(c, 112);
  }
  if (mr == 4 && saRow == 4 && saK == 16) {
    // A's four values of a k side by side (conv's packed weights): one pointer, the rows at
    // immediate offsets. Constant at conv's call, so the other loop is compiled out there.
    for (let k = 0; k < kc; k++) {
      const vb0 = v128.load(b);
      const vb1 = v128.load(b, 16);
      const va0 = v128.load32_splat(a0);
      const va1 = v128.load32_splat(a0, 4);
      const va2 = v128.load32_splat(a0, 8);
      const va3 = v128.load32_splat(a0, 12);
      vacc0x0 = madd(va0, vb0, vacc0x0);
      vacc0x1 = madd(va0, vb1, vacc0x1);
      vacc1x0 = madd(va1, vb0, vacc1x0);
      vacc1x1 = madd(va1, vb1, vacc1x1);
      vacc2x0 = madd(va2, vb0, vacc2x0);
      vacc2x1 = madd(va2, vb1, vacc2x1);
      vacc3x0 = madd(va3, vb0, vacc3x0);
      vacc3x1 = madd(va3, vb1, vacc3x1);
      a0 += 16;
      b += sbK;
    }
  } else {
    for (let k = 0; k < kc; k++) {
      const vb0 = v128.load(b);
      const vb1 = v128.load(b, 16);
      const va0 = v128.load32_splat(a0);
      const va1 = v128.load32_splat(a1);
      const va2 = v128.load32_splat(a2);
      const va3 = v128.load32_splat(a3);
      vacc0x0 = madd(va0, vb0, vacc0x0);
      vacc0x1 = madd(va0, vb1, vacc0x1);
      vacc1x0 = madd(va1, vb0, vacc1x0);
      vacc1x1 = madd(va1, vb1, vacc1x1);
      vacc2x0 = madd(va2, vb0, vacc2x0);
      vacc2x1 = madd(va2, vb1, vacc2x1);
      vacc3x0 = madd(va3, vb0, vacc3x0);
      vacc3x1 = madd(va3, vb1, vacc3x1);
      a0 += saK; a1 += saK; a2 += saK; a3 += saK;
      b += sbK;
    }
  }
  countMacs(<f64>kc * 32);
  v128.store(c, vacc0x0); v128.store(c, vacc0x1, 16);
  v128.store(c, vacc1x0, 32); v128.store(c, vacc1x1, 48);
  v128.store(c, vacc2x0, 64); v128.store(c, vacc2x1, 80);
  v128.store(c, vacc3x0, 96); v128.store(c, vacc3x1, 112);
}

/**
 * f32_gemm_ukernel_1x8: c[0..8) = sum_{k < kc} A[k] B[k, 0..8), for a single row (fc at
 * batch 1: a matrix-vector product bound by reading B once). K is cut into three equal
 * runs read side by side, each into its own pair of accumulators (vacc0x{lanes}, then
 * vacc0x{lanes}k1, k2 for the second and third run), the last kc % 3 rows after them. Three
 * streams, not one, keep the memory system busy: in a micro-benchmark of VGG-16's fc6
 * (25088 x 4096, 411 MB) one sequential stream read 12-14 GB/s, three 21-22 GB/s, as the
 * four rows of W read side by side before the panels did; four runs read as fast from
 * memory, but 30% slower than three from cache (ResNet-50's fc, 8 MB: likely register
 * pressure, eight pointers).
 */
@inline export function f32_gemm_ukernel_1x8(kc: i32, a: usize, saK: usize, b: usize, sbK: usize, c: usize): void {
  let vacc0x0 = f32x4.splat(0), vacc0x1 = f32x4.splat(0);
  let vacc0x0k1 = f32x4.splat(0), vacc0x1k1 = f32x4.splat(0);
  let vacc0x0k2 = f32x4.splat(0), vacc0x1k2 = f32x4.splat(0);
  const run = kc / 3;
  let a1 = a + <usize>run * saK, a2 = a1 + <usize>run * saK;
  let b1 = b + <usize>run * sbK, b2 = b1 + <usize>run * sbK;
  for (let k = 0; k < run; k++) {
    const va = v128.load32_splat(a);
    const vak1 = v128.load32_splat(a1);
    const vak2 = v128.load32_splat(a2);
    vacc0x0 = madd(va, v128.load(b), vacc0x0);
    vacc0x1 = madd(va, v128.load(b, 16), vacc0x1);
    vacc0x0k1 = madd(vak1, v128.load(b1), vacc0x0k1);
    vacc0x1k1 = madd(vak1, v128.load(b1, 16), vacc0x1k1);
    vacc0x0k2 = madd(vak2, v128.load(b2), vacc0x0k2);
    vacc0x1k2 = madd(vak2, v128.load(b2, 16), vacc0x1k2);
    a += saK; a1 += saK; a2 += saK;
    b += sbK; b1 += sbK; b2 += sbK;
  }
  // The last kc % 3 rows follow the third run.
  for (let k = 3 * run; k < kc; k++) {
    const va = v128.load32_splat(a2);
    vacc0x0 = madd(va, v128.load(b2), vacc0x0);
    vacc0x1 = madd(va, v128.load(b2, 16), vacc0x1);
    a2 += saK;
    b2 += sbK;
  }
  countMacs(<f64>kc * 8);
  v128.store(c, f32x4.add(f32x4.add(vacc0x0, vacc0x0k1), vacc0x0k2));
  v128.store(c, f32x4.add(f32x4.add(vacc0x1, vacc0x1k1), vacc0x1k2), 16);
}

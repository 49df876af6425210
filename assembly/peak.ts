// The device's wasm SIMD ceiling, measured rather than assumed: `iters` rounds of 16
// independent multiply-add chains (enough to hide the add latency), 4 lanes each. The
// plain build issues mul + add, the relaxed build one fused relaxed_madd.
import { madd } from './params';

/** f32_peak_madd16x4__wasmsimd: returns a value derived from every chain so nothing is optimised away. */
export function f32_peak_madd16x4__wasmsimd(iters: i32): f32 {
  let a0 = f32x4.splat(1.0), a1 = f32x4.splat(1.1), a2 = f32x4.splat(1.2), a3 = f32x4.splat(1.3);
  let a4 = f32x4.splat(1.4), a5 = f32x4.splat(1.5), a6 = f32x4.splat(1.6), a7 = f32x4.splat(1.7);
  let a8 = f32x4.splat(1.8), a9 = f32x4.splat(1.9), a10 = f32x4.splat(2.0), a11 = f32x4.splat(2.1);
  let a12 = f32x4.splat(2.2), a13 = f32x4.splat(2.3), a14 = f32x4.splat(2.4), a15 = f32x4.splat(2.5);
  const m = f32x4.splat(0.99999), c = f32x4.splat(0.00001);
  for (let i = 0; i < iters; i++) {
    a0 = madd(a0, m, c); a1 = madd(a1, m, c); a2 = madd(a2, m, c); a3 = madd(a3, m, c);
    a4 = madd(a4, m, c); a5 = madd(a5, m, c); a6 = madd(a6, m, c); a7 = madd(a7, m, c);
    a8 = madd(a8, m, c); a9 = madd(a9, m, c); a10 = madd(a10, m, c); a11 = madd(a11, m, c);
    a12 = madd(a12, m, c); a13 = madd(a13, m, c); a14 = madd(a14, m, c); a15 = madd(a15, m, c);
  }
  const s0 = f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3));
  const s1 = f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7));
  const s2 = f32x4.add(f32x4.add(a8, a9), f32x4.add(a10, a11));
  const s3 = f32x4.add(f32x4.add(a12, a13), f32x4.add(a14, a15));
  return f32x4.extract_lane(f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3)), 0);
}

/**
 * i32_peak_dot16x4__wasmsimd: the int8 kernels' ceiling, `iters` rounds of 16 independent
 * chains of i32x4.dot_i16x8_s + i32x4.add (8 multiply-adds each, the int8 micro-kernels'
 * pair); each chain feeds its own dot product, so nothing is hoisted out of the loop.
 */
export function i32_peak_dot16x4__wasmsimd(iters: i32): i32 {
  let a0 = i32x4.splat(1), a1 = i32x4.splat(2), a2 = i32x4.splat(3), a3 = i32x4.splat(4);
  let a4 = i32x4.splat(5), a5 = i32x4.splat(6), a6 = i32x4.splat(7), a7 = i32x4.splat(8);
  let a8 = i32x4.splat(9), a9 = i32x4.splat(10), a10 = i32x4.splat(11), a11 = i32x4.splat(12);
  let a12 = i32x4.splat(13), a13 = i32x4.splat(14), a14 = i32x4.splat(15), a15 = i32x4.splat(16);
  const m = i16x8.splat(3);
  for (let i = 0; i < iters; i++) {
    a0 = i32x4.add(a0, i32x4.dot_i16x8_s(a0, m)); a1 = i32x4.add(a1, i32x4.dot_i16x8_s(a1, m));
    a2 = i32x4.add(a2, i32x4.dot_i16x8_s(a2, m)); a3 = i32x4.add(a3, i32x4.dot_i16x8_s(a3, m));
    a4 = i32x4.add(a4, i32x4.dot_i16x8_s(a4, m)); a5 = i32x4.add(a5, i32x4.dot_i16x8_s(a5, m));
    a6 = i32x4.add(a6, i32x4.dot_i16x8_s(a6, m)); a7 = i32x4.add(a7, i32x4.dot_i16x8_s(a7, m));
    a8 = i32x4.add(a8, i32x4.dot_i16x8_s(a8, m)); a9 = i32x4.add(a9, i32x4.dot_i16x8_s(a9, m));
    a10 = i32x4.add(a10, i32x4.dot_i16x8_s(a10, m)); a11 = i32x4.add(a11, i32x4.dot_i16x8_s(a11, m));
    a12 = i32x4.add(a12, i32x4.dot_i16x8_s(a12, m)); a13 = i32x4.add(a13, i32x4.dot_i16x8_s(a13, m));
    a14 = i32x4.add(a14, i32x4.dot_i16x8_s(a14, m)); a15 = i32x4.add(a15, i32x4.dot_i16x8_s(a15, m));
  }
  const s0 = i32x4.add(i32x4.add(a0, a1), i32x4.add(a2, a3));
  const s1 = i32x4.add(i32x4.add(a4, a5), i32x4.add(a6, a7));
  const s2 = i32x4.add(i32x4.add(a8, a9), i32x4.add(a10, a11));
  const s3 = i32x4.add(i32x4.add(a12, a13), i32x4.add(a14, a15));
  return i32x4.extract_lane(i32x4.add(i32x4.add(s0, s1), i32x4.add(s2, s3)), 0);
}

/**
 * f32_stream_sum__wasmsimd: sums `count` floats (a multiple of 16) from `ptr` with four independent
 * accumulators: the streaming read bandwidth of this memory.
 */
export function f32_stream_sum__wasmsimd(ptr: usize, count: i32): f32 {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  const end = ptr + (<usize>count << 2);
  for (let p = ptr; p < end; p += 64) {
    a0 = f32x4.add(a0, v128.load(p));
    a1 = f32x4.add(a1, v128.load(p, 16));
    a2 = f32x4.add(a2, v128.load(p, 32));
    a3 = f32x4.add(a3, v128.load(p, 48));
  }
  return f32x4.extract_lane(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), 0);
}

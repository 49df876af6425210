// Max and average pooling, NCHW, batch folded into the planes (N * C).
//
// Each output row is an accumulator: for every kernel tap (i, j) whose input row is
// inside the image, the run of output columns whose tap column is inside the row is
// combined with that input row in one pass. Stride 1 runs are contiguous loads and
// stride 2 runs are de-interleaved with one shuffle per vector, so the common 3x3/s2 and
// 2x2/s2 windows run in SIMD; padding is never read, so no bounds test sits in a loop.
import { pi, pp } from './params';
import { GlobalPool, Pool } from './params.generated';
import { fillF32, hmax, hsum } from './vector';

@inline function combine(isMax: bool, a: v128, b: v128): v128 {
  return isMax ? f32x4.max(a, b) : f32x4.add(a, b);
}

/** y[t] = y[t] (op) src[t * sw] for t < n. */
@inline function accumulateRow(isMax: bool, y: usize, src: usize, n: i32, sw: i32): void {
  let t = 0;
  if (sw == 1) {
    for (; t + 8 <= n; t += 8) {
      const at = <usize>t << 2;
      v128.store(y + at, combine(isMax, v128.load(y + at), v128.load(src + at)));
      v128.store(y + at, combine(isMax, v128.load(y + at, 16), v128.load(src + at, 16)), 16);
    }
    for (; t + 4 <= n; t += 4) {
      const at = <usize>t << 2;
      v128.store(y + at, combine(isMax, v128.load(y + at), v128.load(src + at)));
    }
  } else if (sw == 2) {
    // t + 5 <= n: the second load's last lane (an odd column) stays inside the run.
    for (; t + 5 <= n; t += 4) {
      const s = src + (<usize>t << 3);
      const even = i32x4.shuffle(v128.load(s), v128.load(s, 16), 0, 2, 4, 6);
      const at = <usize>t << 2;
      v128.store(y + at, combine(isMax, v128.load(y + at), even));
    }
  }
  for (; t < n; t++) {
    const at = <usize>t << 2;
    const v = load<f32>(src + (<usize>(t * sw) << 2));
    const a = load<f32>(y + at);
    store<f32>(y + at, isMax ? max(a, v) : a + v);
  }
}

/** Taps of a window starting at s (step d, k taps) that land in [0, n). */
@inline function taps(s: i32, k: i32, d: i32, n: i32): i32 {
  const lo = s >= 0 ? 0 : (d - 1 - s) / d;
  const hi = s >= n ? 0 : min(k, (n - 1 - s) / d + 1);
  return max(0, hi - lo);
}

@inline function pool(p: usize, isMax: bool): void {
  const x = pp(p, Pool.X), y = pp(p, Pool.Y);
  const planes = pi(p, Pool.PLANES), Hin = pi(p, Pool.H), Win = pi(p, Pool.W), Oh = pi(p, Pool.OH), Ow = pi(p, Pool.OW);
  const kh = pi(p, Pool.KH), kw = pi(p, Pool.KW), sh = pi(p, Pool.SH), sw = pi(p, Pool.SW);
  const pt = pi(p, Pool.PT), pl = pi(p, Pool.PL), pb = pi(p, Pool.PB), pr = pi(p, Pool.PR), dh = pi(p, Pool.DH), dw = pi(p, Pool.DW);
  const includePad = pi(p, Pool.INCLUDE_PAD) != 0;
  const tmp = pp(p, Pool.TMP);
  const init: f32 = isMax ? -Infinity : 0;
  for (let c = 0; c < planes; c++) {
    const xp = x + ((<usize>c * <usize>Hin * <usize>Win) << 2);
    for (let oh = 0; oh < Oh; oh++) {
      const yr = y + ((<usize>(c * Oh + oh) * <usize>Ow) << 2);
      fillF32(yr, Ow, init);
      const hs = oh * sh - pt;
      if (isMax && tmp) {
        // Separable: the window's rows combined into tmp (whole input rows), then its
        // columns: kh + kw row passes instead of kh * kw (max is exact, so the same values).
        let rows = 0;
        for (let i = 0; i < kh; i++) {
          const h = hs + i * dh;
          if (h < 0 || h >= Hin) continue;
          const xr = xp + ((<usize>h * <usize>Win) << 2);
          if (rows++ == 0) memory.copy(tmp, xr, <usize>Win << 2);
          else accumulateRow(true, tmp, xr, Win, 1);
        }
        if (rows == 0) continue;
        for (let j = 0; j < kw; j++) {
          const off = j * dw - pl;
          const lo = off >= 0 ? 0 : (sw - 1 - off) / sw;
          const hi = off >= Win ? 0 : min(Ow, (Win - 1 - off) / sw + 1);
          if (lo < hi) accumulateRow(true, yr + (<usize>lo << 2), tmp + (<usize>(lo * sw + off) << 2), hi - lo, sw);
        }
        continue;
      }
      for (let i = 0; i < kh; i++) {
        const h = hs + i * dh;
        if (h < 0 || h >= Hin) continue;
        const xr = xp + ((<usize>h * <usize>Win) << 2);
        for (let j = 0; j < kw; j++) {
          // Output columns ow in [lo, hi) read column ow * sw + off, inside [0, W).
          const off = j * dw - pl;
          const lo = off >= 0 ? 0 : (sw - 1 - off) / sw;
          const hi = off >= Win ? 0 : min(Ow, (Win - 1 - off) / sw + 1);
          if (lo >= hi) continue;
          accumulateRow(isMax, yr + (<usize>lo << 2), xr + (<usize>(lo * sw + off) << 2), hi - lo, sw);
        }
      }
      if (!isMax) {
        // The reference's divisor: taps inside the input, or (countIncludePad) the window
        // clipped to the padded input. Both factor into a row part and a column part.
        const hdiv = includePad ? min(hs + (kh - 1) * dh + 1, Hin + pb) - hs : taps(hs, kh, dh, Hin);
        for (let ow = 0; ow < Ow; ow++) {
          const ws = ow * sw - pl;
          const wdiv = includePad ? min(ws + (kw - 1) * dw + 1, Win + pr) - ws : taps(ws, kw, dw, Win);
          const at = yr + (<usize>ow << 2);
          store<f32>(at, load<f32>(at) / <f32>(hdiv * wdiv));
        }
      }
    }
  }
}

/** f32_maxpool__wasmsimd: max pooling (kernel, stride, pads, dilation, ceil mode resolved by the host). */
export function f32_maxpool__wasmsimd(p: usize): void {
  pool(p, true);
}

/** f32_avgpool__wasmsimd: average pooling, with or without padded taps in the divisor. */
export function f32_avgpool__wasmsimd(p: usize): void {
  pool(p, false);
}

@inline function globalPool(p: usize, isMax: bool): void {
  const x = pp(p, GlobalPool.X), y = pp(p, GlobalPool.Y);
  const planes = pi(p, GlobalPool.PLANES), n = pi(p, GlobalPool.SIZE);
  const init = f32x4.splat(isMax ? -Infinity : 0);
  for (let c = 0; c < planes; c++) {
    const xp = x + ((<usize>c * <usize>n) << 2);
    let vacc0 = init, vacc1 = init;
    let i = 0;
    for (; i + 8 <= n; i += 8) {
      const at = xp + (<usize>i << 2);
      vacc0 = combine(isMax, vacc0, v128.load(at));
      vacc1 = combine(isMax, vacc1, v128.load(at, 16));
    }
    for (; i + 4 <= n; i += 4) vacc0 = combine(isMax, vacc0, v128.load(xp + (<usize>i << 2)));
    const v = combine(isMax, vacc0, vacc1);
    let acc: f32 = isMax ? hmax(v) : hsum(v);
    for (; i < n; i++) {
      const e = load<f32>(xp + (<usize>i << 2));
      acc = isMax ? max(acc, e) : acc + e;
    }
    store<f32>(y + (<usize>c << 2), isMax ? acc : acc / <f32>n);
  }
}

/** f32_global_avgpool__wasmsimd: mean of each plane. */
export function f32_global_avgpool__wasmsimd(p: usize): void {
  globalPool(p, false);
}

/** f32_global_maxpool__wasmsimd: max of each plane. */
export function f32_global_maxpool__wasmsimd(p: usize): void {
  globalPool(p, true);
}

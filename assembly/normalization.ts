// Batch normalisation (inference) and local response normalisation across channels.
import { pf, pi, pp } from './params';
import { Batchnorm, Lrn } from './params.generated';
import { lane0, vexp, vlog } from './vector';

/**
 * f32_batchnorm__wasmsimd: y = x * a + b per channel (axis 1), a = scale / sqrt(var + eps),
 * b = bias - mean * a. The statistics are read at run time (ONNX may feed them as inputs);
 * a and b are formed in f64 as the reference does. In place is allowed.
 */
export function f32_batchnorm__wasmsimd(p: usize): void {
  const x = pp(p, Batchnorm.X), y = pp(p, Batchnorm.Y);
  const scale = pp(p, Batchnorm.SCALE), bias = pp(p, Batchnorm.BIAS), mean = pp(p, Batchnorm.MEAN), variance = pp(p, Batchnorm.VAR);
  const eps = <f64>pf(p, Batchnorm.EPS);
  const n = pi(p, Batchnorm.N), ch = pi(p, Batchnorm.C), inner = pi(p, Batchnorm.INNER);
  for (let c = 0; c < ch; c++) {
    const at = <usize>c << 2;
    const a64 = <f64>load<f32>(scale + at) / Math.sqrt(<f64>load<f32>(variance + at) + eps);
    const a = <f32>a64;
    const b = <f32>(<f64>load<f32>(bias + at) - <f64>load<f32>(mean + at) * a64);
    const va = f32x4.splat(a), vb = f32x4.splat(b);
    for (let img = 0; img < n; img++) {
      const off = (<usize>(img * ch + c) * <usize>inner) << 2;
      const xp = x + off, yp = y + off;
      let i = 0;
      for (; i + 8 <= inner; i += 8) {
        const q = <usize>i << 2;
        const v0 = f32x4.add(f32x4.mul(v128.load(xp + q), va), vb);
        const v1 = f32x4.add(f32x4.mul(v128.load(xp + q, 16), va), vb);
        v128.store(yp + q, v0);
        v128.store(yp + q, v1, 16);
      }
      for (; i + 4 <= inner; i += 4) {
        const q = <usize>i << 2;
        v128.store(yp + q, f32x4.add(f32x4.mul(v128.load(xp + q), va), vb));
      }
      for (; i < inner; i++) {
        const q = <usize>i << 2;
        store<f32>(yp + q, load<f32>(xp + q) * a + b);
      }
    }
  }
}

// LRN: its block's ALPHA is alpha / size.

/**
 * d^-beta per lane, as 1 / Math.pow(d, beta) gives it for every d (NaN, infinities, 0 and
 * negatives included, so a NaN or an infinity in the window reaches the output as in the
 * reference); beta = 0.75 (AlexNet, GoogLeNet) as 1 / (sqrt(d) * sqrt(sqrt(d))); beta = 0 is
 * 1 for every d (pow(NaN, 0) = 1).
 */
@inline function invPow(d: v128, beta: f32): v128 {
  if (beta == 0) return f32x4.splat(1);
  if (beta == 0.75) {
    const s = f32x4.sqrt(d);
    return f32x4.div(f32x4.splat(1), f32x4.mul(s, f32x4.sqrt(s)));
  }
  return vexp(f32x4.mul(f32x4.splat(-beta), vlog(d)));
}

/**
 * f32_lrn__wasmsimd: y = x / (bias + alpha/size * sum of x^2 over channels [c - before,
 * c + after] clipped to [0, C))^beta, vectorised over the pixels of a plane, for channels
 * [C0, C1) of every image (threads split the channels). x != y.
 */
export function f32_lrn__wasmsimd(p: usize): void {
  const x = pp(p, Lrn.X), y = pp(p, Lrn.Y);
  const n = pi(p, Lrn.N), ch = pi(p, Lrn.C), hw = pi(p, Lrn.HW), before = pi(p, Lrn.BEFORE), after = pi(p, Lrn.AFTER);
  const alpha = pf(p, Lrn.ALPHA), beta = pf(p, Lrn.BETA), k = pf(p, Lrn.BIAS), cs = pi(p, Lrn.C0), ce = pi(p, Lrn.C1);
  const va = f32x4.splat(alpha), vk = f32x4.splat(k);
  const plane = <usize>hw << 2;
  for (let img = 0; img < n; img++) {
    const xi = x + <usize>(img * ch) * plane, yi = y + <usize>(img * ch) * plane;
    for (let c = cs; c < ce; c++) {
      const c0 = max(0, c - before), c1 = min(ch - 1, c + after);
      const xc = xi + <usize>c * plane, yc = yi + <usize>c * plane;
      let i = 0;
      for (; i + 4 <= hw; i += 4) {
        const q = <usize>i << 2;
        let sq = f32x4.splat(0);
        for (let kc = c0; kc <= c1; kc++) {
          const v = v128.load(xi + <usize>kc * plane + q);
          sq = f32x4.add(sq, f32x4.mul(v, v));
        }
        const d = f32x4.add(vk, f32x4.mul(va, sq));
        v128.store(yc + q, f32x4.mul(v128.load(xc + q), invPow(d, beta)));
      }
      for (; i < hw; i++) {
        const q = <usize>i << 2;
        let sq: f32 = 0;
        for (let kc = c0; kc <= c1; kc++) {
          const v = load<f32>(xi + <usize>kc * plane + q);
          sq += v * v;
        }
        store<f32>(yc + q, load<f32>(xc + q) * lane0(invPow(f32x4.splat(k + alpha * sq), beta)));
      }
    }
  }
}

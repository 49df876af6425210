// Layer normalisation over the middle axis of [outer, len, inner] (src/ops/layernorm.ts
// layerNormLayout): inner 1 is ONNX's LayerNormalization over the last axes (rows, four
// lanes along a row); inner > 1 is the channels-first form (over C of NCHW: four
// neighbouring pixels per vector, stepping by inner). Mean first, then the variance of the
// centred values (two passes, as the reference: one pass loses digits when |mean| >> std).
import { pf, pi, pp } from './params';
import { Layernorm } from './params.generated';
import { hsum } from './vector';

@inline function param(ptr: usize, k: i32, none: f32): f32 {
  return ptr ? load<f32>(ptr + (<usize>k << 2)) : none;
}

/** f32_layernorm__wasmsimd: scale and bias are 0 when absent. */
export function f32_layernorm__wasmsimd(p: usize): void {
  const x = pp(p, Layernorm.X), y = pp(p, Layernorm.Y), scale = pp(p, Layernorm.SCALE), bias = pp(p, Layernorm.BIAS);
  const outer = pi(p, Layernorm.OUTER), len = pi(p, Layernorm.LEN), inner = pi(p, Layernorm.INNER), eps = pf(p, Layernorm.EPS);
  const flen = <f32>len;
  if (inner == 1) {
    for (let o = 0; o < outer; o++) {
      const xr = x + ((<usize>o * <usize>len) << 2), yr = y + ((<usize>o * <usize>len) << 2);
      let vsum = f32x4.splat(0);
      let k = 0;
      for (; k + 4 <= len; k += 4) vsum = f32x4.add(vsum, v128.load(xr + (<usize>k << 2)));
      let sum = hsum(vsum);
      for (; k < len; k++) sum += load<f32>(xr + (<usize>k << 2));
      const m = sum / flen;
      const vm = f32x4.splat(m);
      let vsq = f32x4.splat(0);
      for (k = 0; k + 4 <= len; k += 4) {
        const d = f32x4.sub(v128.load(xr + (<usize>k << 2)), vm);
        vsq = f32x4.add(vsq, f32x4.mul(d, d));
      }
      let sq = hsum(vsq);
      for (; k < len; k++) {
        const d = load<f32>(xr + (<usize>k << 2)) - m;
        sq += d * d;
      }
      const inv: f32 = <f32>(1 / Math.sqrt(<f64>(sq / flen) + <f64>eps));
      const vinv = f32x4.splat(inv);
      for (k = 0; k + 4 <= len; k += 4) {
        const q = <usize>k << 2;
        let v = f32x4.mul(f32x4.sub(v128.load(xr + q), vm), vinv);
        if (scale) v = f32x4.mul(v, v128.load(scale + q));
        if (bias) v = f32x4.add(v, v128.load(bias + q));
        v128.store(yr + q, v);
      }
      for (; k < len; k++) {
        const q = <usize>k << 2;
        store<f32>(yr + q, (load<f32>(xr + q) - m) * inv * param(scale, k, 1) + param(bias, k, 0));
      }
    }
    return;
  }
  const step = <usize>inner << 2;
  const vlen = f32x4.splat(flen), veps = f32x4.splat(eps), vone = f32x4.splat(1);
  for (let o = 0; o < outer; o++) {
    const xo = x + <usize>(o * len) * step, yo = y + <usize>(o * len) * step;
    let i = 0;
    for (; i + 4 <= inner; i += 4) {
      const xc = xo + (<usize>i << 2), yc = yo + (<usize>i << 2);
      let vsum = f32x4.splat(0);
      for (let k = 0; k < len; k++) vsum = f32x4.add(vsum, v128.load(xc + <usize>k * step));
      const vm = f32x4.div(vsum, vlen);
      let vsq = f32x4.splat(0);
      for (let k = 0; k < len; k++) {
        const d = f32x4.sub(v128.load(xc + <usize>k * step), vm);
        vsq = f32x4.add(vsq, f32x4.mul(d, d));
      }
      const vinv = f32x4.div(vone, f32x4.sqrt(f32x4.add(f32x4.div(vsq, vlen), veps)));
      for (let k = 0; k < len; k++) {
        let v = f32x4.mul(f32x4.sub(v128.load(xc + <usize>k * step), vm), vinv);
        if (scale) v = f32x4.mul(v, f32x4.splat(load<f32>(scale + (<usize>k << 2))));
        if (bias) v = f32x4.add(v, f32x4.splat(load<f32>(bias + (<usize>k << 2))));
        v128.store(yc + <usize>k * step, v);
      }
    }
    for (; i < inner; i++) {
      const xc = xo + (<usize>i << 2), yc = yo + (<usize>i << 2);
      let sum: f32 = 0;
      for (let k = 0; k < len; k++) sum += load<f32>(xc + <usize>k * step);
      const m = sum / flen;
      let sq: f32 = 0;
      for (let k = 0; k < len; k++) {
        const d = load<f32>(xc + <usize>k * step) - m;
        sq += d * d;
      }
      const inv: f32 = <f32>(1 / Math.sqrt(<f64>(sq / flen) + <f64>eps));
      for (let k = 0; k < len; k++) {
        store<f32>(yc + <usize>k * step, (load<f32>(xc + <usize>k * step) - m) * inv * param(scale, k, 1) + param(bias, k, 0));
      }
    }
  }
}

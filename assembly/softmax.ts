// Softmax over the middle axis of [outer, len, inner] (src/ops/softmax.ts softmaxLayout).
// In place is allowed: every element's exp is taken from x before y is written there.
import { pi, pp } from './params';
import { Softmax } from './params.generated';
import { hmax, hsum, lane0, vexp } from './vector';

/** inner == 1: each row is contiguous. */
@inline function rows(x: usize, y: usize, outer: i32, len: i32): void {
  for (let o = 0; o < outer; o++) {
    const xr = x + ((<usize>o * <usize>len) << 2), yr = y + ((<usize>o * <usize>len) << 2);
    let vmax = f32x4.splat(-Infinity);
    let k = 0;
    for (; k + 4 <= len; k += 4) vmax = f32x4.max(vmax, v128.load(xr + (<usize>k << 2)));
    let m = hmax(vmax);
    for (; k < len; k++) m = max(m, load<f32>(xr + (<usize>k << 2)));
    const vm = f32x4.splat(m);
    let vsum = f32x4.splat(0);
    for (k = 0; k + 4 <= len; k += 4) {
      const e = vexp(f32x4.sub(v128.load(xr + (<usize>k << 2)), vm));
      v128.store(yr + (<usize>k << 2), e);
      vsum = f32x4.add(vsum, e);
    }
    let sum = hsum(vsum);
    for (; k < len; k++) {
      const e = lane0(vexp(f32x4.splat(load<f32>(xr + (<usize>k << 2)) - m)));
      store<f32>(yr + (<usize>k << 2), e);
      sum += e;
    }
    const inv: f32 = 1 / sum;
    const vinv = f32x4.splat(inv);
    for (k = 0; k + 4 <= len; k += 4) {
      const at = yr + (<usize>k << 2);
      v128.store(at, f32x4.mul(v128.load(at), vinv));
    }
    for (; k < len; k++) {
      const at = yr + (<usize>k << 2);
      store<f32>(at, load<f32>(at) * inv);
    }
  }
}

/** inner > 1: four independent softmaxes (neighbouring i) per vector, stepping by inner. */
@inline function columns(x: usize, y: usize, outer: i32, len: i32, inner: i32): void {
  const step = <usize>inner << 2;
  for (let o = 0; o < outer; o++) {
    const xo = x + <usize>(o * len) * step, yo = y + <usize>(o * len) * step;
    let i = 0;
    for (; i + 4 <= inner; i += 4) {
      const xc = xo + (<usize>i << 2), yc = yo + (<usize>i << 2);
      let vmax = f32x4.splat(-Infinity);
      for (let k = 0; k < len; k++) vmax = f32x4.max(vmax, v128.load(xc + <usize>k * step));
      let vsum = f32x4.splat(0);
      for (let k = 0; k < len; k++) {
        const e = vexp(f32x4.sub(v128.load(xc + <usize>k * step), vmax));
        v128.store(yc + <usize>k * step, e);
        vsum = f32x4.add(vsum, e);
      }
      const vinv = f32x4.div(f32x4.splat(1), vsum);
      for (let k = 0; k < len; k++) {
        const at = yc + <usize>k * step;
        v128.store(at, f32x4.mul(v128.load(at), vinv));
      }
    }
    for (; i < inner; i++) {
      const xc = xo + (<usize>i << 2), yc = yo + (<usize>i << 2);
      let m: f32 = -Infinity;
      for (let k = 0; k < len; k++) m = max(m, load<f32>(xc + <usize>k * step));
      let sum: f32 = 0;
      for (let k = 0; k < len; k++) {
        const e = lane0(vexp(f32x4.splat(load<f32>(xc + <usize>k * step) - m)));
        store<f32>(yc + <usize>k * step, e);
        sum += e;
      }
      const inv: f32 = 1 / sum;
      for (let k = 0; k < len; k++) {
        const at = yc + <usize>k * step;
        store<f32>(at, load<f32>(at) * inv);
      }
    }
  }
}

/** f32_softmax__wasmsimd: y = exp(x - max) / sum along the middle axis of [outer, len, inner]. */
export function f32_softmax__wasmsimd(p: usize): void {
  const x = pp(p, Softmax.X), y = pp(p, Softmax.Y);
  const outer = pi(p, Softmax.OUTER), len = pi(p, Softmax.LEN), inner = pi(p, Softmax.INNER);
  if (inner == 1) rows(x, y, outer, len);
  else columns(x, y, outer, len, inner);
}

// f32 fully connected: Y[n, m] = act(sum_k W[m, k] * X[n, k] + bias[m]), W row-major
// [M, K] as PyTorch stores it. At batch 1 this is a matrix-vector product bound by reading
// W once, so the kernel streams four rows at a time with SIMD along k.
import { activate, countMacs, madd, pf, pi, pp } from './params';
import { Fc } from './params.generated';

// Parameter block: Fc (assembly/params.json). The share of the work this call does: output
// rows [M0, M1).

@inline function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

/** Four output rows at a time, SIMD along K; threads split the rows [M0, M1). */
export function f32_fc_4xk__wasmsimd(p: usize): void {
  const x = pp(p, Fc.X), w = pp(p, Fc.W), bias = pp(p, Fc.BIAS), y = pp(p, Fc.Y);
  const batch = pi(p, Fc.N), Kd = pi(p, Fc.K), Md = pi(p, Fc.M), act = pi(p, Fc.ACT);
  const a0 = f32x4.splat(pf(p, Fc.A0)), a1 = f32x4.splat(pf(p, Fc.A1));
  const K4 = Kd & ~3;
  const rowBytes = <usize>Kd << 2;
  for (let n = 0; n < batch; n++) {
    const xn = x + <usize>n * rowBytes;
    const yn = y + ((<usize>n * <usize>Md) << 2);
    const mEnd = pi(p, Fc.M1);
    let m = pi(p, Fc.M0);
    for (; m + 4 <= mEnd; m += 4) {
      const w0 = w + <usize>m * rowBytes;
      const w1 = w0 + rowBytes, w2 = w1 + rowBytes, w3 = w2 + rowBytes;
      let vacc0 = f32x4.splat(0), vacc1 = f32x4.splat(0), vacc2 = f32x4.splat(0), vacc3 = f32x4.splat(0);
      for (let k = 0; k < K4; k += 4) {
        const o = <usize>k << 2;
        const vx = v128.load(xn + o);
        vacc0 = madd(v128.load(w0 + o), vx, vacc0);
        vacc1 = madd(v128.load(w1 + o), vx, vacc1);
        vacc2 = madd(v128.load(w2 + o), vx, vacc2);
        vacc3 = madd(v128.load(w3 + o), vx, vacc3);
      }
      countMacs(<f64>Kd * 4);
      let s0 = hsum(vacc0), s1 = hsum(vacc1), s2 = hsum(vacc2), s3 = hsum(vacc3);
      for (let k = K4; k < Kd; k++) {
        const o = <usize>k << 2;
        const xv = load<f32>(xn + o);
        s0 += load<f32>(w0 + o) * xv;
        s1 += load<f32>(w1 + o) * xv;
        s2 += load<f32>(w2 + o) * xv;
        s3 += load<f32>(w3 + o) * xv;
      }
      let v = f32x4(s0, s1, s2, s3);
      if (bias) v = f32x4.add(v, v128.load(bias + (<usize>m << 2)));
      v128.store(yn + (<usize>m << 2), activate(v, act, a0, a1));
    }
    for (; m < mEnd; m++) {
      const wm = w + <usize>m * rowBytes;
      let vacc = f32x4.splat(0);
      for (let k = 0; k < K4; k += 4) vacc = madd(v128.load(wm + (<usize>k << 2)), v128.load(xn + (<usize>k << 2)), vacc);
      countMacs(<f64>Kd);
      let s = hsum(vacc);
      for (let k = K4; k < Kd; k++) s += load<f32>(wm + (<usize>k << 2)) * load<f32>(xn + (<usize>k << 2));
      if (bias) s += load<f32>(bias + (<usize>m << 2));
      store<f32>(yn + (<usize>m << 2), f32x4.extract_lane(activate(f32x4.splat(s), act, a0, a1), 0));
    }
  }
}

// General matrix product Y[M, N] = alpha * A' B' + beta * C (ONNX Gemm with a computed B or
// a transposed A; constant-weight layers go to fc). Row by row: per k, one splat of
// A'[m, k] times a row of B' (contiguous over n), in 16-wide blocks of four accumulators.
// A transposed B is first transposed into scratch so its rows are contiguous.
import { madd, pf, pi, pp } from './params';
import { Gemm } from './params.generated';

// Parameter block: Gemm (assembly/params.json, which notes what each field holds).

@inline function epilogue(acc: v128, c: usize, at: usize, cn: i32, alpha: v128, beta: v128): v128 {
  const r = f32x4.mul(acc, alpha);
  if (!c) return r;
  const vc = cn ? v128.load(c + at) : v128.load32_splat(c + at);
  return f32x4.add(r, f32x4.mul(vc, beta));
}

/** f32_gemm_1x16__wasmsimd */
export function f32_gemm_1x16__wasmsimd(p: usize): void {
  const a = pp(p, Gemm.A), c = pp(p, Gemm.C), y = pp(p, Gemm.Y);
  const Mr = pi(p, Gemm.M), Nc = pi(p, Gemm.N), Kd = pi(p, Gemm.K), sam = pi(p, Gemm.SAM), sak = pi(p, Gemm.SAK);
  const cm = pi(p, Gemm.CM), cn = pi(p, Gemm.CN);
  const salpha = pf(p, Gemm.ALPHA), sbeta = pf(p, Gemm.BETA);
  const alpha = f32x4.splat(salpha), beta = f32x4.splat(sbeta);
  let b = pp(p, Gemm.B);
  if (pi(p, Gemm.TRANS_B)) {
    const bt = pp(p, Gemm.BT);
    for (let n = 0; n < Nc; n++) {
      for (let k = 0; k < Kd; k++) store<f32>(bt + ((<usize>k * <usize>Nc + <usize>n) << 2), load<f32>(b + ((<usize>n * <usize>Kd + <usize>k) << 2)));
    }
    b = bt;
  }
  const bRow = <usize>Nc << 2;
  const ak = <usize>sak << 2;
  for (let m = 0; m < Mr; m++) {
    const am = a + ((<usize>m * <usize>sam) << 2);
    const yr = y + ((<usize>m * <usize>Nc) << 2);
    // C's element (m, n) is at c + (m*cm + n*cn) floats.
    const cr = c + ((<usize>m * <usize>cm) << 2);
    let n = 0;
    for (; n + 16 <= Nc; n += 16) {
      let vacc0 = f32x4.splat(0), vacc1 = f32x4.splat(0), vacc2 = f32x4.splat(0), vacc3 = f32x4.splat(0);
      let bk = b + (<usize>n << 2), ap = am;
      for (let k = 0; k < Kd; k++, bk += bRow, ap += ak) {
        const va = v128.load32_splat(ap);
        vacc0 = madd(va, v128.load(bk), vacc0);
        vacc1 = madd(va, v128.load(bk, 16), vacc1);
        vacc2 = madd(va, v128.load(bk, 32), vacc2);
        vacc3 = madd(va, v128.load(bk, 48), vacc3);
      }
      const at = yr + (<usize>n << 2), ca = (<usize>(n * cn) << 2);
      v128.store(at, epilogue(vacc0, c ? cr : 0, ca, cn, alpha, beta));
      v128.store(at, epilogue(vacc1, c ? cr : 0, ca + (cn << 4), cn, alpha, beta), 16);
      v128.store(at, epilogue(vacc2, c ? cr : 0, ca + (cn << 5), cn, alpha, beta), 32);
      v128.store(at, epilogue(vacc3, c ? cr : 0, ca + cn * 48, cn, alpha, beta), 48);
    }
    for (; n + 4 <= Nc; n += 4) {
      let vacc = f32x4.splat(0);
      let bk = b + (<usize>n << 2), ap = am;
      for (let k = 0; k < Kd; k++, bk += bRow, ap += ak) vacc = madd(v128.load32_splat(ap), v128.load(bk), vacc);
      v128.store(yr + (<usize>n << 2), epilogue(vacc, c ? cr : 0, <usize>(n * cn) << 2, cn, alpha, beta));
    }
    for (; n < Nc; n++) {
      let acc: f32 = 0;
      let bk = b + (<usize>n << 2), ap = am;
      for (let k = 0; k < Kd; k++, bk += bRow, ap += ak) acc += load<f32>(ap) * load<f32>(bk);
      let v = salpha * acc;
      if (c) v += sbeta * load<f32>(cr + (<usize>(n * cn) << 2));
      store<f32>(yr + (<usize>n << 2), v);
    }
  }
}

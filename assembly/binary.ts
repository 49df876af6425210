// Elementwise add, mul, sub, div and pow with NumPy broadcasting, up to rank 6.
//
// The host collapses the broadcast (src/backends/wasm/kernels/add.ts): size-1 axes are
// dropped and neighbouring axes merged wherever both inputs stay contiguous, then the
// shape is left-padded to 6 axes. So equal shapes arrive as one row, a scalar as one row
// with a splat side, and a per-channel vector as [N, C, H*W] rows with a splat side: the
// fast paths are the row loop below, and only truly strided broadcasts loop over axes.
// In the innermost axis each input's stride is 0 (splat) or 1 (contiguous).
import { pi, pp } from './params';
import { lane0, vexp, vlog } from './vector';
// Parameter block (Binary, assembly/params.json): pointers, then 6 extents, 6 strides of A, 6 of B (elements).
import { Binary } from './params.generated';

@inline const ADD = 0;
@inline const MUL = 1;
@inline const SUB = 2;
@inline const DIV = 3;
@inline const POW = 4;

@inline function vop(op: i32, a: v128, b: v128): v128 {
  if (op == ADD) return f32x4.add(a, b);
  if (op == MUL) return f32x4.mul(a, b);
  if (op == SUB) return f32x4.sub(a, b);
  if (op == DIV) return f32x4.div(a, b);
  return vpow(a, b);
}

@inline function sop(op: i32, a: f32, b: f32): f32 {
  if (op == ADD) return a + b;
  if (op == MUL) return a * b;
  if (op == SUB) return a - b;
  if (op == DIV) return a / b;
  return lane0(vpow(f32x4.splat(a), f32x4.splat(b)));
}

/**
 * a ** b with C's rules (the reference's powC), table-free (Mathf.pow reads static data):
 * |a|^b = e^(b ln|a|), negated for a < 0 and an odd integer b, NaN for a < 0 and a
 * non-integer b; pow(a, 0) = pow(1, b) = pow(-1, +-inf) = 1; b = 2 is a * a, exactly
 * (LayerNorm's variance). Not inlined: one body for its eight call sites (a rare op; 10 KB of the module).
 */
function vpow(a: v128, b: v128): v128 {
  const one = f32x4.splat(1);
  let r = vexp(f32x4.mul(b, vlog(f32x4.abs(a))));
  const neg = f32x4.lt(a, f32x4.splat(0));
  const integral = f32x4.eq(f32x4.nearest(b), b);
  const half = f32x4.mul(b, f32x4.splat(0.5));
  const odd = v128.andnot(integral, f32x4.eq(f32x4.nearest(half), half));
  // The sign bit, not a < 0: pow(-0, -3) = -inf and pow(-0, 3) = -0, as in C.
  r = v128.bitselect(f32x4.neg(r), r, v128.and(i32x4.lt_s(a, i32x4.splat(0)), odd));
  r = v128.bitselect(r, f32x4.splat(NaN), v128.or(v128.not(neg), integral));
  r = v128.bitselect(f32x4.mul(a, a), r, f32x4.eq(b, f32x4.splat(2)));
  const unit = v128.or(v128.or(f32x4.eq(b, f32x4.splat(0)), f32x4.eq(a, one)),
    v128.and(f32x4.eq(a, f32x4.splat(-1)), f32x4.eq(f32x4.abs(b), f32x4.splat(Infinity))));
  return v128.bitselect(one, r, unit);
}

/** One innermost row of n outputs. y may be a (in place): each vector is read before it is written. */
@inline function row(op: i32, a: usize, b: usize, y: usize, n: i32, sa: i32, sb: i32): void {
  let i = 0;
  if (sa != 0 && sb != 0) {
    for (; i + 8 <= n; i += 8) {
      const at = <usize>i << 2;
      const r0 = vop(op, v128.load(a + at), v128.load(b + at));
      const r1 = vop(op, v128.load(a + at, 16), v128.load(b + at, 16));
      v128.store(y + at, r0);
      v128.store(y + at, r1, 16);
    }
    for (; i + 4 <= n; i += 4) {
      const at = <usize>i << 2;
      v128.store(y + at, vop(op, v128.load(a + at), v128.load(b + at)));
    }
    for (; i < n; i++) {
      const at = <usize>i << 2;
      store<f32>(y + at, sop(op, load<f32>(a + at), load<f32>(b + at)));
    }
  } else if (sa != 0) {
    const s = load<f32>(b);
    const vb = f32x4.splat(s);
    for (; i + 4 <= n; i += 4) {
      const at = <usize>i << 2;
      v128.store(y + at, vop(op, v128.load(a + at), vb));
    }
    for (; i < n; i++) store<f32>(y + (<usize>i << 2), sop(op, load<f32>(a + (<usize>i << 2)), s));
  } else if (sb != 0) {
    const s = load<f32>(a);
    const va = f32x4.splat(s);
    for (; i + 4 <= n; i += 4) {
      const at = <usize>i << 2;
      v128.store(y + at, vop(op, va, v128.load(b + at)));
    }
    for (; i < n; i++) store<f32>(y + (<usize>i << 2), sop(op, s, load<f32>(b + (<usize>i << 2))));
  } else {
    const v = sop(op, load<f32>(a), load<f32>(b));
    for (; i < n; i++) store<f32>(y + (<usize>i << 2), v);
  }
}

@inline function binary(p: usize, op: i32): void {
  const d0 = pi(p, Binary.DIMS), d1 = pi(p, Binary.DIMS + 1), d2 = pi(p, Binary.DIMS + 2), d3 = pi(p, Binary.DIMS + 3), d4 = pi(p, Binary.DIMS + 4), n = pi(p, Binary.DIMS + 5);
  const a0 = <usize>pi(p, Binary.ASTR) << 2, a1 = <usize>pi(p, Binary.ASTR + 1) << 2, a2 = <usize>pi(p, Binary.ASTR + 2) << 2, a3 = <usize>pi(p, Binary.ASTR + 3) << 2, a4 = <usize>pi(p, Binary.ASTR + 4) << 2;
  const b0 = <usize>pi(p, Binary.BSTR) << 2, b1 = <usize>pi(p, Binary.BSTR + 1) << 2, b2 = <usize>pi(p, Binary.BSTR + 2) << 2, b3 = <usize>pi(p, Binary.BSTR + 3) << 2, b4 = <usize>pi(p, Binary.BSTR + 4) << 2;
  const sa = pi(p, Binary.ASTR + 5), sb = pi(p, Binary.BSTR + 5);
  const rowBytes = <usize>n << 2;
  let y = pp(p, Binary.Y);
  // The output is contiguous: rows are written in order.
  let pa0 = pp(p, Binary.A), pb0 = pp(p, Binary.B);
  for (let i0 = 0; i0 < d0; i0++, pa0 += a0, pb0 += b0) {
    let pa1 = pa0, pb1 = pb0;
    for (let i1 = 0; i1 < d1; i1++, pa1 += a1, pb1 += b1) {
      let pa2 = pa1, pb2 = pb1;
      for (let i2 = 0; i2 < d2; i2++, pa2 += a2, pb2 += b2) {
        let pa3 = pa2, pb3 = pb2;
        for (let i3 = 0; i3 < d3; i3++, pa3 += a3, pb3 += b3) {
          let pa4 = pa3, pb4 = pb3;
          for (let i4 = 0; i4 < d4; i4++, pa4 += a4, pb4 += b4) {
            row(op, pa4, pb4, y, n, sa, sb);
            y += rowBytes;
          }
        }
      }
    }
  }
}

/** f32_vadd_bcast__wasmsimd: y = a + b, broadcasting. */
export function f32_vadd_bcast__wasmsimd(p: usize): void {
  binary(p, ADD);
}

/** f32_vmul_bcast__wasmsimd: y = a * b, broadcasting. */
export function f32_vmul_bcast__wasmsimd(p: usize): void {
  binary(p, MUL);
}

/** f32_vsub_bcast__wasmsimd: y = a - b, broadcasting. */
export function f32_vsub_bcast__wasmsimd(p: usize): void {
  binary(p, SUB);
}

/** f32_vdiv_bcast__wasmsimd: y = a / b, broadcasting. */
export function f32_vdiv_bcast__wasmsimd(p: usize): void {
  binary(p, DIV);
}

/** f32_vpow_bcast__wasmsimd: y = a ** b (C's pow), broadcasting. */
export function f32_vpow_bcast__wasmsimd(p: usize): void {
  binary(p, POW);
}

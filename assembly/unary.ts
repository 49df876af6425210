// Elementwise activations over n contiguous floats, any rank. The planner runs them in
// place (x == y), so each vector is loaded before the same vector is stored.
import { ACT_CLIP, ACT_LEAKYRELU, ACT_RELU } from './activation.generated';
import { ACT_GELU, ACT_HARDSIGMOID, ACT_HARDSWISH, ACT_SILU } from './activation.generated';
import { activate, pf, pi, pp, verf } from './params';
import { Unary } from './params.generated';
import { lane0, vexp } from './vector';

// Parameter block: Unary (assembly/params.json): A0 is the clamp min or leaky alpha, A1 the clamp max.

@inline const RELU = 0;
@inline const CLAMP = 1;
@inline const LRELU = 2;
@inline const TANH = 3;
@inline const SIGMOID = 4;
@inline const HARDSIGMOID = 5;
@inline const HARDSWISH = 6;
@inline const SILU = 7;
@inline const GELU = 8;
@inline const ERF = 9;
@inline const SQRT = 10;
@inline const QDQ = 11;

/** One value (loop tails) through the vector rule. */
@inline function scalar(op: i32, v: f32, a0: f32, a1: f32): f32 {
  return lane0(vector(op, f32x4.splat(v), f32x4.splat(a0), f32x4.splat(a1)));
}

/**
 * 1 / (1 + e^-x): e^-x overflows to +inf for very negative x, giving 0 as the reference does
 * (sigmoid(-inf) = 0, sigmoid(inf) = 1, NaN kept: vexp keeps it).
 */
@inline function sigmoid(v: v128): v128 {
  return f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), vexp(f32x4.neg(v))));
}

/**
 * tanh: an odd Taylor polynomial to x^9 below |x| = 1/4 (where 1 - 2/(e^2x + 1) would
 * cancel), that formula above it (relative error under 1e-6 throughout), sign restored:
 * tanh(+-inf) = +-1, and NaN stays NaN (vexp keeps it; the sign is or-ed into its bits).
 */
@inline function tanh(v: v128): v128 {
  const a = f32x4.abs(v);
  const a2 = f32x4.mul(a, a);
  let q = f32x4.add(f32x4.mul(a2, f32x4.splat(62.0 / 2835)), f32x4.splat(-17.0 / 315));
  q = f32x4.add(f32x4.mul(q, a2), f32x4.splat(2.0 / 15));
  q = f32x4.add(f32x4.mul(q, a2), f32x4.splat(-1.0 / 3));
  const near = f32x4.add(a, f32x4.mul(f32x4.mul(q, a2), a));
  const far = f32x4.sub(f32x4.splat(1), f32x4.div(f32x4.splat(2), f32x4.add(vexp(f32x4.add(a, a)), f32x4.splat(1))));
  const t = v128.bitselect(near, far, f32x4.lt(a, f32x4.splat(0.25)));
  return v128.or(t, v128.and(v, i32x4.splat(0x80000000)));
}

@inline function vector(op: i32, v: v128, a0: v128, a1: v128): v128 {
  if (op == HARDSIGMOID) return activate(v, ACT_HARDSIGMOID, a0, a1);
  if (op == HARDSWISH) return activate(v, ACT_HARDSWISH, a0, a1);
  if (op == SILU) return activate(v, ACT_SILU, a0, a1);
  if (op == GELU) return activate(v, ACT_GELU, a0, a1);
  if (op == ERF) return verf(v);
  if (op == SQRT) return f32x4.sqrt(v);
  if (op == QDQ) {
    // a0 = scale, a1 = qmin - zero point: scale * clamp(nearest(x / scale), a1, a1 + 255);
    // pmax/pmin take the bound for NaN (NaN < b is false), so NaN gives the lowest value.
    const q = f32x4.nearest(f32x4.div(v, a0));
    return f32x4.mul(f32x4.pmin(f32x4.add(a1, f32x4.splat(255)), f32x4.pmax(a1, q)), a0);
  }
  // relu, clip, leakyrelu: the epilogues' rule (params.ts), so fused and unfused agree.
  if (op == RELU) return activate(v, ACT_RELU, a0, a1);
  if (op == CLAMP) return activate(v, ACT_CLIP, a0, a1);
  if (op == SIGMOID) return sigmoid(v);
  if (op == TANH) return tanh(v);
  return activate(v, ACT_LEAKYRELU, a0, a1);
}

@inline function map(p: usize, op: i32): void {
  const x = pp(p, Unary.X), y = pp(p, Unary.Y);
  const n = pi(p, Unary.COUNT);
  const s0 = pf(p, Unary.A0), s1 = pf(p, Unary.A1);
  const a0 = f32x4.splat(s0), a1 = f32x4.splat(s1);
  let i = 0;
  // One vector a step, not four: each op's body is inlined once per loop, and these ops run
  // at memory speed either way (the fused epilogues take the common cases).
  for (; i + 4 <= n; i += 4) {
    const at = <usize>i << 2;
    v128.store(y + at, vector(op, v128.load(x + at), a0, a1));
  }
  for (; i < n; i++) {
    const at = <usize>i << 2;
    store<f32>(y + at, scalar(op, load<f32>(x + at), s0, s1));
  }
}

/** f32_vrelu__wasmsimd: y = x < 0 ? 0 : x (NaN kept). */
export function f32_vrelu__wasmsimd(p: usize): void {
  map(p, RELU);
}

/** f32_vclamp__wasmsimd: y = min(max(x, a0), a1) (clip, ReLU6). */
export function f32_vclamp__wasmsimd(p: usize): void {
  map(p, CLAMP);
}

/** f32_vlrelu__wasmsimd: y = x >= 0 ? x : a0 * x. */
export function f32_vlrelu__wasmsimd(p: usize): void {
  map(p, LRELU);
}

/** f32_vtanh__wasmsimd: tanh(x). */
export function f32_vtanh__wasmsimd(p: usize): void {
  map(p, TANH);
}

/** f32_vsigmoid__wasmsimd: 1 / (1 + exp(-x)). */
export function f32_vsigmoid__wasmsimd(p: usize): void {
  map(p, SIGMOID);
}

/** f32_vhardsigmoid__wasmsimd: max(0, min(1, a0 x + a1)). */
export function f32_vhardsigmoid__wasmsimd(p: usize): void {
  map(p, HARDSIGMOID);
}

/** f32_vhardswish__wasmsimd: x * hardsigmoid(x; a0, a1) (1/6, 1/2). */
export function f32_vhardswish__wasmsimd(p: usize): void {
  map(p, HARDSWISH);
}

/** f32_vsilu__wasmsimd: x / (1 + exp(-x)). */
export function f32_vsilu__wasmsimd(p: usize): void {
  map(p, SILU);
}

/** f32_vgelu__wasmsimd: x / 2 * (1 + erf(x / sqrt 2)). */
export function f32_vgelu__wasmsimd(p: usize): void {
  map(p, GELU);
}

/** f32_verf__wasmsimd: erf(x). */
export function f32_verf__wasmsimd(p: usize): void {
  map(p, ERF);
}

/** f32_vqdq__wasmsimd: a0 * clamp(nearest(x / a0), a1, a1 + 255): the 8-bit grid of scale a0 (qdq). */
export function f32_vqdq__wasmsimd(p: usize): void {
  map(p, QDQ);
}

/** f32_vsqrt__wasmsimd: sqrt(x) (NaN below 0). */
export function f32_vsqrt__wasmsimd(p: usize): void {
  map(p, SQRT);
}

// Kernels take one pointer to a block of 32-bit parameters written by the host. Each block's
// fields are declared once, in assembly/params.json: scripts/build-wasm.mjs generates from it
// the field indices the kernels read (assembly/params.generated.ts, a namespace per block) and
// the packers the hosts in src/backends/wasm/kernels/ call (src/backends/wasm/params.generated.ts).
// Pointers are byte offsets into this module's memory; floats are stored as f32 bits.

@inline export function pi(p: usize, field: i32): i32 {
  return load<i32>(p + (<usize>field << 2));
}

@inline export function pp(p: usize, field: i32): usize {
  return <usize>load<u32>(p + (<usize>field << 2));
}

@inline export function pf(p: usize, field: i32): f32 {
  return load<f32>(p + (<usize>field << 2));
}

// Fused activations of an epilogue: the codes of kernels/common.wgsl, generated.
import { ACT_CLIP, ACT_LEAKYRELU, ACT_RELU } from './activation.generated';
import { ACT_GELU, ACT_HARDSIGMOID, ACT_HARDSWISH, ACT_SILU } from './activation.generated';
import { vexpClamped } from './exp';

/**
 * Applies an activation to four lanes: the unfused kernels (assembly/unary.ts, with a constant
 * code), the fc and depthwise epilogues and, through activateSimple and activateRows, conv2d's
 * share it, so fused and unfused agree. Each is the reference's scalar rule (src/ops/fused-activation.ts),
 * NaN passing through as in PyTorch:
 * relu `v < 0 ? 0 : v` (and-not of a compare: NaN and -0 kept); clip by pmax/pmin, which are
 * `a < b ? b : a` and `b < a ? b : a` (NaN kept; f32x4.min/max also keep NaN but cost more on
 * x86, and relaxed_min/max leave it unspecified); leakyrelu `v >= 0 ? v : alpha * v`.
 */
@inline export function activate(v: v128, act: i32, a0: v128, a1: v128): v128 {
  return activatesLater(act) ? activateSmooth(v, act, a0, a1) : activateSimple(v, act, a0, a1);
}

/**
 * The activations an epilogue applies in its loop: relu, clip, leakyrelu, hardsigmoid and
 * hardswish, a few instructions each; silu and gelu (an exp, an erf) pass v through, for
 * activateRows to finish once the tile is stored. conv2d's GEMM path does so: inlined in its
 * three epilogue sites they made it 11.3 KB of code, 3.3 KB without (and no slower,
 * bench/fused-activation.bench.mjs). Hardswish as a second pass measured up to 5% slower on a
 * 1x1 conv of K 40, hence inline. fc, and dwconv's vector loop, keep all of them inline
 * (`activate`): a second pass there measured 2-6% slower (fc at batch 1 and 8, a 28x28
 * depthwise plane), where the activation's arithmetic overlaps the loads of the loop.
 * hardsigmoid (a0, a1 = alpha, beta) clamps alpha v + beta by pmax/pmin (NaN kept); hardswish
 * is v times that (a0, a1 = 1/6, 1/2): NaN at -inf (-inf * 0), as PyTorch.
 */
@inline export function activateSimple(v: v128, act: i32, a0: v128, a1: v128): v128 {
  if (act == ACT_RELU) return v128.andnot(v, f32x4.lt(v, f32x4.splat(0)));
  if (act == ACT_CLIP) return f32x4.pmin(f32x4.pmax(v, a0), a1);
  if (act == ACT_LEAKYRELU) return v128.bitselect(v, f32x4.mul(v, a0), f32x4.ge(v, f32x4.splat(0)));
  if (act == ACT_HARDSIGMOID) return hardSigmoid(v, a0, a1);
  if (act == ACT_HARDSWISH) return f32x4.mul(v, hardSigmoid(v, a0, a1));
  return v;
}

/** Whether activateSimple leaves this activation to activateRows (silu, gelu). */
@inline export function activatesLater(act: i32): bool {
  return act > ACT_HARDSWISH;
}

// silu v / (1 + e^-v): NaN at -inf (-inf / inf), as PyTorch; gelu: vgelu.
@inline function activateSmooth(v: v128, act: i32, a0: v128, a1: v128): v128 {
  if (act == ACT_SILU) return f32x4.div(v, f32x4.add(f32x4.splat(1), vexpClamped(f32x4.neg(v))));
  if (act == ACT_GELU) return vgelu(v);
  return v;
}

/**
 * An epilogue's second pass, for the activations activateSimple leaves (activatesLater; the
 * caller tests it, and any other code leaves the floats as they are): `rows` runs of n floats, `rowBytes` apart from y, activated in
 * place, just after the epilogue stored them (still in cache). Out of line, one copy in the
 * module; a run's last 1-3 floats go through the same vector code, zero-padded.
 */
export function activateRows(y: usize, rowBytes: usize, rows: i32, n: i32, act: i32, s0: f32, s1: f32): void {
  const a0 = f32x4.splat(s0), a1 = f32x4.splat(s1);
  for (let r = 0; r < rows; r++, y += rowBytes) {
    for (let i = 0; i < n; i += 4) {
      const at = y + (<usize>i << 2);
      const left = n - i;
      let v: v128;
      if (left >= 4) v = v128.load(at);
      else {
        v = v128.load32_zero(at);
        if (left > 1) v = f32x4.replace_lane(v, 1, load<f32>(at, 4));
        if (left > 2) v = f32x4.replace_lane(v, 2, load<f32>(at, 8));
      }
      v = activateSmooth(v, act, a0, a1);
      if (left >= 4) v128.store(at, v);
      else {
        v128.store32_lane(at, v, 0);
        if (left > 1) v128.store32_lane(at, v, 1, 4);
        if (left > 2) v128.store32_lane(at, v, 2, 8);
      }
    }
  }
}

/**
 * erf: the rational approximation Eigen and XLA use (x P(x^2) / Q(x^2) on x clamped to
 * [-4, 4], error below 7e-8), clamped to [-1, 1]; pmax/pmin keep NaN, erf(+-inf) = +-1.
 */
@inline export function verf(v: v128): v128 {
  const x = f32x4.pmin(f32x4.pmax(v, f32x4.splat(-4)), f32x4.splat(4));
  const x2 = f32x4.mul(x, x);
  let p = f32x4.add(f32x4.mul(x2, f32x4.splat(-2.72614225801306e-10)), f32x4.splat(2.77068142495902e-08));
  p = f32x4.add(f32x4.mul(x2, p), f32x4.splat(-2.10102402082508e-06));
  p = f32x4.add(f32x4.mul(x2, p), f32x4.splat(-5.69250639462346e-05));
  p = f32x4.add(f32x4.mul(x2, p), f32x4.splat(-7.34990630326855e-04));
  p = f32x4.add(f32x4.mul(x2, p), f32x4.splat(-2.95459980854025e-03));
  p = f32x4.add(f32x4.mul(x2, p), f32x4.splat(-1.60960333262415e-02));
  let q = f32x4.add(f32x4.mul(x2, f32x4.splat(-1.45660718464996e-05)), f32x4.splat(-2.13374055278905e-04));
  q = f32x4.add(f32x4.mul(x2, q), f32x4.splat(-1.68282697438203e-03));
  q = f32x4.add(f32x4.mul(x2, q), f32x4.splat(-7.37332916720468e-03));
  q = f32x4.add(f32x4.mul(x2, q), f32x4.splat(-1.42647390514189e-02));
  const e = f32x4.div(f32x4.mul(x, p), q);
  return f32x4.pmin(f32x4.pmax(e, f32x4.splat(-1)), f32x4.splat(1));
}

/** gelu: x / 2 * (1 + erf(x / sqrt 2)); -inf * 0 = NaN at -inf, as PyTorch. */
@inline export function vgelu(v: v128): v128 {
  const e = verf(f32x4.mul(v, f32x4.splat(0.7071067811865476)));
  return f32x4.mul(f32x4.mul(v, f32x4.splat(0.5)), f32x4.add(f32x4.splat(1), e));
}

@inline function hardSigmoid(v: v128, alpha: v128, beta: v128): v128 {
  return f32x4.pmin(f32x4.pmax(f32x4.add(f32x4.mul(v, alpha), beta), f32x4.splat(0)), f32x4.splat(1));
}

/** Multiply-add: fused (relaxed SIMD) in the relaxed build, mul + add otherwise. */
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

// Multiply-accumulates the kernels execute (padding lanes included), so the benchmark can
// hold them against the cost model layer by layer. One add per micro-kernel call: free.
let macs: f64 = 0;

@inline export function countMacs(n: f64): void {
  macs += n;
}

/** The count since the last reset. */
export function mac_count(): f64 {
  return macs;
}

export function mac_reset(): void {
  macs = 0;
}

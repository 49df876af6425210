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

/**
 * Applies an activation to four lanes: the conv/fc epilogues and the unfused relu, clip and
 * leakyrelu kernels (assembly/unary.ts) share it, so fused and unfused agree. Each is the
 * reference's scalar rule (src/ops/fused-activation.ts), NaN passing through as in PyTorch:
 * relu `v < 0 ? 0 : v` (and-not of a compare: NaN and -0 kept); clip by pmax/pmin, which are
 * `a < b ? b : a` and `b < a ? b : a` (NaN kept; f32x4.min/max also keep NaN but cost more on
 * x86, and relaxed_min/max leave it unspecified); leakyrelu `v >= 0 ? v : alpha * v`.
 */
@inline export function activate(v: v128, act: i32, a0: v128, a1: v128): v128 {
  if (act == ACT_RELU) return v128.andnot(v, f32x4.lt(v, f32x4.splat(0)));
  if (act == ACT_CLIP) return f32x4.pmin(f32x4.pmax(v, a0), a1);
  if (act == ACT_LEAKYRELU) return v128.bitselect(v, f32x4.mul(v, a0), f32x4.ge(v, f32x4.splat(0)));
  return v;
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

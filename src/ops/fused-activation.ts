import { AttributeError } from '../graph/errors.js';
import type { Node } from '../graph/graph.js';
import { erf } from './erf.js';

/** An activation fused into a conv or fc epilogue by the planner. */
export type FusedActivation =
  | { readonly op: 'relu' }
  | { readonly op: 'clip'; readonly min: number; readonly max: number }
  | { readonly op: 'leakyrelu'; readonly alpha: number }
  | { readonly op: 'hardsigmoid'; readonly alpha: number; readonly beta: number }
  | { readonly op: 'hardswish' }
  | { readonly op: 'silu' }
  | { readonly op: 'gelu' };

/** The node's fused activation (attribute `activation`), checked; undefined when none. */
export function fusedActivation(node: Node): FusedActivation | undefined {
  const a = (node.attrs as { activation?: FusedActivation }).activation;
  if (a === undefined) return undefined;
  const ok =
    a.op === 'relu' ||
    (a.op === 'clip' && typeof a.min === 'number' && typeof a.max === 'number' && a.min <= a.max) ||
    (a.op === 'leakyrelu' && typeof a.alpha === 'number' && Number.isFinite(a.alpha)) ||
    (a.op === 'hardsigmoid' && Number.isFinite(a.alpha) && Number.isFinite(a.beta)) ||
    a.op === 'hardswish' ||
    a.op === 'silu' ||
    a.op === 'gelu';
  if (!ok) throw new AttributeError(node.name, 'activation', "{op: 'relu'}, {op: 'clip', min, max}, {op: 'leakyrelu', alpha}, {op: 'hardsigmoid', alpha, beta}, {op: 'hardswish'}, {op: 'silu'} or {op: 'gelu'}", JSON.stringify(a));
  return a;
}

/**
 * A scalar function applying the activation (the identity when there is none): the one
 * rule of each op, used by the unfused op (src/ops/activation.ts) and by every conv / fc
 * epilogue, so fused and unfused agree. NaN passes through all three, as in PyTorch and
 * ONNX (torch 1.13: relu(nan) = clamp(nan, -0.5, 1) = relu6(nan) = leaky_relu(nan) = nan;
 * relu(-0.) = -0.): relu is `v < 0 ? 0 : v`, not `v > 0 ? v : 0` (which maps NaN to 0).
 */
export function activationFn(a: FusedActivation | undefined): (v: number) => number {
  if (!a) return (v) => v;
  switch (a.op) {
    case 'relu':
      return (v) => (v < 0 ? 0 : v);
    case 'clip': {
      const { min, max } = a;
      return (v) => (v < min ? min : v > max ? max : v);
    }
    case 'leakyrelu': {
      const alpha = a.alpha;
      return (v) => (v >= 0 ? v : alpha * v);
    }
    case 'hardsigmoid':
      return hardsigmoidFn(a.alpha, a.beta);
    case 'hardswish': {
      const h = hardsigmoidFn(1 / 6, 0.5);
      return (v) => v * h(v);
    }
    case 'silu':
      return (v) => v / (1 + Math.exp(-v));
    case 'gelu':
      return (v) => 0.5 * v * (1 + erf(v * Math.SQRT1_2));
  }
}

/**
 * max(0, min(1, alpha * v + beta)), NaN kept (torch 1.13: hardsigmoid([nan, inf, -inf]) =
 * [nan, 1, 0]). hardswish is v * hardsigmoid(v; 1/6, 1/2) and silu v / (1 + e^-v), computed
 * as PyTorch does: both give NaN at -inf (-inf * 0, -inf / inf), inf at inf.
 */
function hardsigmoidFn(alpha: number, beta: number): (v: number) => number {
  return (v) => {
    const t = alpha * v + beta;
    return t < 0 ? 0 : t > 1 ? 1 : t;
  };
}

/** The two f32 arguments (p0, p1) an epilogue's activation code reads, on both fast backends. */
export function activationArgs(a: FusedActivation | undefined): [number, number] {
  if (a?.op === 'clip') return [a.min, a.max];
  if (a?.op === 'leakyrelu') return [a.alpha, 0];
  if (a?.op === 'hardsigmoid') return [a.alpha, a.beta];
  if (a?.op === 'hardswish') return [1 / 6, 0.5];
  return [0, 0];
}

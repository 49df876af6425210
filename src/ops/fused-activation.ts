import { AttributeError } from '../graph/errors.js';
import type { Node } from '../graph/graph.js';

/** An activation fused into a conv or fc epilogue by the planner. */
export type FusedActivation =
  | { readonly op: 'relu' }
  | { readonly op: 'clip'; readonly min: number; readonly max: number }
  | { readonly op: 'leakyrelu'; readonly alpha: number };

/** The node's fused activation (attribute `activation`), checked; undefined when none. */
export function fusedActivation(node: Node): FusedActivation | undefined {
  const a = (node.attrs as { activation?: FusedActivation }).activation;
  if (a === undefined) return undefined;
  const ok =
    a.op === 'relu' ||
    (a.op === 'clip' && typeof a.min === 'number' && typeof a.max === 'number' && a.min <= a.max) ||
    (a.op === 'leakyrelu' && typeof a.alpha === 'number' && Number.isFinite(a.alpha));
  if (!ok) throw new AttributeError(node.name, 'activation', "{op: 'relu'}, {op: 'clip', min, max} or {op: 'leakyrelu', alpha}", JSON.stringify(a));
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
  }
}

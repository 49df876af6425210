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

/** A scalar function applying the activation (the identity when there is none). */
export function activationFn(a: FusedActivation | undefined): (v: number) => number {
  if (!a) return (v) => v;
  switch (a.op) {
    case 'relu':
      return (v) => (v > 0 ? v : 0);
    case 'clip':
      return (v) => (v < a.min ? a.min : v > a.max ? a.max : v);
    case 'leakyrelu':
      return (v) => (v >= 0 ? v : a.alpha * v);
  }
}

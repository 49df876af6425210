import { AttributeError, ShapeError } from '../graph/errors.js';
import type { Node, OpType, Shape } from '../graph/graph.js';
import type { OpAttrs } from './attrs.js';

/** A tensor's values in a kernel: row-major (NCHW for images) float32. */
export interface TensorView {
  readonly shape: Shape;
  readonly data: Float32Array;
}

/** What one node costs, by the lecture's conventions (DESIGN.md). Per whole minibatch. */
export interface NodeCost {
  /** Multiply-accumulates of conv and fc (the unit torchvision and fvcore report). */
  readonly macs: number;
  /** The lecture's FLOPs: 2 per MAC for conv/fc, Kh*Kw per pooled output, 0 for elementwise. */
  readonly flops: number;
  /** FLOPs of elementwise work (ReLU, BN, add, ...), counted only when asked for. */
  readonly elementwiseFlops: number;
  /** Bytes a fused op moves to and from memory (its inputs, weights and outputs; not its band workspace). */
  readonly bytes?: number;
}

/**
 * An op, declared once: how to validate its attributes, infer its output shapes and
 * count its cost. Backends register kernels for it; they never re-derive its shapes.
 */
export interface OpDef<T extends OpType = OpType> {
  readonly type: T;
  /** Number of inputs (data inputs plus weight initializers): [min, max]. */
  readonly arity: readonly [number, number];
  /**
   * Elementwise-like ops (activations, BN, residual add, LRN, softmax, dropout) carry no
   * row of their own in the lecture's tables: they join the row of the layer they follow.
   */
  readonly elementwise: boolean;
  /** The output may reuse input 0's memory (the memory planner and the cost model agree). */
  readonly inplace: boolean;
  /**
   * The node's attributes checked and complete, every default filled (src/ops/attrs.ts):
   * throws {@link AttributeError} on a bad one (a zero stride, a negative pad). Called once
   * per node by finalizeGraph, which stores the result; it accepts its own output.
   */
  attrs(node: Node): OpAttrs[T];
  /** Output shapes from input shapes; throws {@link ShapeError} naming what was expected. */
  inferShapes(node: Node, inputs: readonly Shape[]): Shape[];
  cost(node: Node, inputs: readonly Shape[], outputs: readonly Shape[]): NodeCost;
  /**
   * Bytes of working memory one thread of a fused kernel holds while the node runs (a band
   * of a tensor the fused op never holds whole); the memory planner places it in the arena
   * for the node's step, once per thread. Default none.
   */
  workspace?(node: Node, inputs: readonly Shape[], outputs: readonly Shape[]): number;
  /**
   * The reference kernel: plain, obviously-correct TypeScript, never tuned; the oracle of
   * every cross-backend test. Writes `outputs` (preallocated). For an in-place op an output
   * may share memory with input 0, so a kernel reads element i before writing element i.
   */
  reference(node: Node, inputs: readonly TensorView[], outputs: readonly TensorView[]): void;
}

export const ZERO_COST: NodeCost = { macs: 0, flops: 0, elementwiseFlops: 0 };

export function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

/** Checks an integer attribute against a lower bound. */
export function intAttr(node: Node, attr: string, min: number): number {
  const v = (node.attrs as Record<string, unknown>)[attr];
  if (!isInt(v) || v < min) throw new AttributeError(node.name, attr, `an integer >= ${min}`, v);
  return v;
}

/** Checks an attribute holding `length` integers, each >= `min`. */
export function intsAttr(node: Node, attr: string, length: number, min: number): number[] {
  const v = (node.attrs as Record<string, unknown>)[attr];
  if (!Array.isArray(v) || v.length !== length || !v.every((x) => isInt(x) && x >= min)) {
    throw new AttributeError(node.name, attr, `${length} integers >= ${min}`, v);
  }
  return v as number[];
}

export function numAttr(node: Node, attr: string, check: (v: number) => boolean, expected: string): number {
  const v = (node.attrs as Record<string, unknown>)[attr];
  if (typeof v !== 'number' || !Number.isFinite(v) || !check(v)) {
    throw new AttributeError(node.name, attr, expected, v);
  }
  return v;
}

/** Asserts an input is NCHW (rank 4) with positive dimensions. */
export function expectNCHW(node: Node, shape: Shape, what = 'input'): [number, number, number, number] {
  if (shape.length !== 4 || shape.some((d) => d <= 0)) {
    throw new ShapeError(node.name, `${what} of shape [N, C, H, W]`, shape);
  }
  return shape as unknown as [number, number, number, number];
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Elements of one output per image times the batch: the row's #activations for N images. */
export function elements(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

import { AttributeError, ShapeError } from '../graph/errors.js';
import type { Node, OpType, Shape } from '../graph/graph.js';
import type { ReduceAttrs } from './attrs.js';
import { elements, isInt, type OpDef, type TensorView } from './op.js';

/** Kept and reduced groups of a {@link reduceLayout}: at most this many of each. */
export const REDUCE_GROUPS = 4;

/**
 * A reduction seen as nested loops, whatever its axes: the kept axes (the output's, in
 * order) and the reduced axes of x, neighbouring axes of one kind merged into one (their
 * elements are a fixed stride apart in row-major order) and size-1 axes dropped, each list
 * padded to {@link REDUCE_GROUPS} at the front with extent 1 and stride 0. Strides are in
 * elements of x. Shared by every backend, so they all walk the same loops.
 */
export interface ReduceLayout {
  readonly keptDims: number[];
  readonly keptStrides: number[];
  readonly redDims: number[];
  readonly redStrides: number[];
  /** Elements reduced into each output. */
  readonly count: number;
}

export function reduceLayout(shape: Shape, axes: readonly number[]): ReduceLayout {
  const strides: number[] = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  const groups: { red: boolean; dim: number; stride: number }[] = [];
  for (let i = 0; i < shape.length; i++) {
    if (shape[i] === 1) continue;
    const red = axes.includes(i);
    const last = groups[groups.length - 1];
    // Row-major: axis i's stride times its extent is axis i-1's stride, so they merge.
    if (last && last.red === red && last.stride === strides[i] * shape[i]) {
      last.dim *= shape[i];
      last.stride = strides[i];
    } else {
      groups.push({ red, dim: shape[i], stride: strides[i] });
    }
  }
  const pad = (g: typeof groups, key: 'dim' | 'stride', fill: number) => {
    const v = g.map((x) => x[key]);
    return [...new Array<number>(REDUCE_GROUPS - v.length).fill(fill), ...v];
  };
  const kept = groups.filter((g) => !g.red);
  const red = groups.filter((g) => g.red);
  if (kept.length > REDUCE_GROUPS || red.length > REDUCE_GROUPS) throw new ShapeError('reduce', `at most ${REDUCE_GROUPS} alternating groups of kept and reduced axes`, shape);
  return {
    keptDims: pad(kept, 'dim', 1),
    keptStrides: pad(kept, 'stride', 0),
    redDims: pad(red, 'dim', 1),
    redStrides: pad(red, 'stride', 0),
    count: red.reduce((a, g) => a * g.dim, 1),
  };
}

type ReduceOp = 'reducemean' | 'reducesum' | 'reducemax';

function reduceAttrs(node: Node): ReduceAttrs {
  const { axes, keepdims = true } = node.attrs as { axes?: unknown; keepdims?: unknown };
  if (!Array.isArray(axes) || axes.length === 0 || !axes.every((a) => isInt(a) && a >= 0) || new Set(axes).size !== axes.length) {
    throw new AttributeError(node.name, 'axes', 'a non-empty list of distinct axes >= 0', axes);
  }
  return { axes: [...(axes as number[])].sort((a, b) => a - b), keepdims: keepdims === true };
}

function reduceShapes(node: Node, [x]: readonly Shape[]): Shape[] {
  const { axes, keepdims } = reduceAttrs(node);
  if (axes[axes.length - 1] >= x.length) throw new ShapeError(node.name, `axes in [0, ${x.length - 1}]`, axes, 'axes');
  if (x.length > 8) throw new ShapeError(node.name, 'an input of rank 8 or less', x);
  const out: number[] = [];
  x.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keepdims) out.push(1);
  });
  return [out];
}

/** As global pooling: one FLOP per input element. */
const reduceCost = (_node: Node, [x]: readonly Shape[]) => ({ macs: 0, flops: elements(x), elementwiseFlops: 0 });

function reduceReference(init: number, f: (acc: number, v: number) => number, finish: (acc: number, n: number) => number) {
  return (node: Node, [x]: readonly TensorView[], [y]: readonly TensorView[]) => {
    const { keptDims: kd, keptStrides: ks, redDims: rd, redStrides: rs, count } = reduceLayout(x.shape, reduceAttrs(node).axes);
    let o = 0;
    for (let k0 = 0; k0 < kd[0]; k0++) for (let k1 = 0; k1 < kd[1]; k1++) for (let k2 = 0; k2 < kd[2]; k2++) for (let k3 = 0; k3 < kd[3]; k3++) {
      const base = k0 * ks[0] + k1 * ks[1] + k2 * ks[2] + k3 * ks[3];
      let acc = init;
      for (let r0 = 0; r0 < rd[0]; r0++) for (let r1 = 0; r1 < rd[1]; r1++) for (let r2 = 0; r2 < rd[2]; r2++) for (let r3 = 0; r3 < rd[3]; r3++) {
        acc = f(acc, x.data[base + r0 * rs[0] + r1 * rs[1] + r2 * rs[2] + r3 * rs[3]]);
      }
      y.data[o++] = finish(acc, count);
    }
  };
}

function reduceOp<T extends ReduceOp>(type: T, reference: OpDef['reference']): OpDef<T> {
  return {
    type,
    arity: [1, 1],
    elementwise: false,
    inplace: false,
    attrs: (node) => reduceAttrs(node),
    inferShapes: reduceShapes,
    cost: reduceCost,
    reference,
  } as OpDef<T>;
}

/** ONNX ReduceMean over `axes` (sorted, >= 0; the importer resolves negative and empty axes). */
export const reducemean = reduceOp('reducemean', reduceReference(0, (a, v) => a + v, (a, n) => a / n));
/** ONNX ReduceSum. */
export const reducesum = reduceOp('reducesum', reduceReference(0, (a, v) => a + v, (a) => a));
/** ONNX ReduceMax: a NaN among the reduced values wins (Math.max, as numpy and PyTorch). */
export const reducemax = reduceOp('reducemax', reduceReference(-Infinity, Math.max, (a) => a));

export const REDUCE_OPS: readonly OpType[] = ['reducemean', 'reducesum', 'reducemax'];

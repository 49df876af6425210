import { AttributeError, ShapeError } from '../graph/errors.js';
import type { Node, Shape } from '../graph/graph.js';
import type { SliceAttrs } from './attrs.js';
import { ZERO_COST, isInt, type OpDef } from './op.js';
import { gatherStrided, rowMajorStrides, type StridedView } from './strided-view.js';

const intList = (v: unknown): v is number[] => Array.isArray(v) && v.every(isInt);

/**
 * Where a slice starts on each axis, its step and its output extent, by ONNX's rules:
 * negative starts/ends count from the end; both are clamped to [0, dim] for a positive step
 * and to [-1, dim - 1] for a negative one (so ends of +-2^63 mean "to the end").
 */
export function sliceRegion(a: SliceAttrs, x: Shape): { begin: number[]; step: number[]; shape: number[] } {
  const rank = x.length;
  const begin = x.map(() => 0);
  const step = x.map(() => 1);
  const shape = [...x];
  a.axes.forEach((axis, k) => {
    const ax = axis < 0 ? axis + rank : axis;
    const dim = x[ax];
    const st = a.steps[k];
    let s = a.starts[k] < 0 ? a.starts[k] + dim : a.starts[k];
    let e = a.ends[k] < 0 ? a.ends[k] + dim : a.ends[k];
    if (st > 0) {
      s = Math.min(Math.max(s, 0), dim);
      e = Math.min(Math.max(e, 0), dim);
    } else {
      s = Math.min(Math.max(s, 0), dim - 1);
      e = Math.min(Math.max(e, -1), dim - 1);
    }
    begin[ax] = s;
    step[ax] = st;
    shape[ax] = Math.max(0, Math.ceil((e - s) / st));
  });
  return { begin, step, shape };
}

/** The slice as a gather: start at `begin`, stride (row-major stride * step) per axis. */
export function sliceView(a: SliceAttrs, x: Shape): StridedView {
  const { begin, step, shape } = sliceRegion(a, x);
  const s = rowMajorStrides(x);
  return { dims: shape, strides: s.map((v, d) => v * step[d]), offset: begin.reduce((acc, b, d) => acc + b * s[d], 0) };
}

/**
 * Slice (ONNX Slice with constant starts/ends/axes/steps; also each output of Split): any
 * axes, negative and clamped indices, negative steps. Copies what it keeps: no MACs, no FLOPs.
 */
export const slice: OpDef<'slice'> = {
  type: 'slice',
  arity: [1, 1],
  elementwise: false,
  inplace: false,
  attrs(node) {
    const { starts, ends, axes, steps } = node.attrs as Record<string, unknown>;
    if (!intList(starts)) throw new AttributeError(node.name, 'starts', 'a list of integers', starts);
    if (!intList(ends) || ends.length !== starts.length) throw new AttributeError(node.name, 'ends', `${starts.length} integers`, ends);
    const ax = axes === undefined ? starts.map((_, i) => i) : axes;
    if (!intList(ax) || ax.length !== starts.length) throw new AttributeError(node.name, 'axes', `${starts.length} integers`, axes);
    const st = steps === undefined ? starts.map(() => 1) : steps;
    if (!intList(st) || st.length !== starts.length || st.includes(0)) throw new AttributeError(node.name, 'steps', `${starts.length} non-zero integers`, steps);
    return { starts: [...starts], ends: [...ends], axes: [...ax], steps: [...st] };
  },
  inferShapes(node: Node, [x]) {
    const a = node.attrs as SliceAttrs;
    const rank = x.length;
    const norm = a.axes.map((v) => (v < 0 ? v + rank : v));
    if (norm.some((v) => v < 0 || v >= rank) || new Set(norm).size !== norm.length) {
      throw new ShapeError(node.name, `distinct axes in [-${rank}, ${rank - 1}]`, a.axes, 'axes');
    }
    const { shape } = sliceRegion(a, x);
    if (shape.some((d) => d < 1)) throw new ShapeError(node.name, `a non-empty slice of [${x.join(', ')}]`, shape);
    return [shape];
  },
  cost: () => ZERO_COST,
  reference(node, [x], [y]) {
    gatherStrided(x.data, y.data, sliceView(node.attrs as SliceAttrs, x.shape));
  },
};

import { ShapeError } from '../graph/errors.js';
import type { Node, Shape } from '../graph/graph.js';

/** NumPy (ONNX multidirectional) broadcasting of two shapes; undefined when they do not broadcast. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] | undefined {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return undefined;
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** {@link broadcastShape} for a node: a ShapeError naming it when the shapes do not broadcast. */
export function broadcastShapes(node: Node, a: Shape, b: Shape): number[] {
  const out = broadcastShape(a, b);
  if (!out) throw new ShapeError(node.name, `shapes that broadcast together, [${a.join(', ')}] and [${b.join(', ')}]`, b);
  return out;
}

/** Row-major strides of `shape` seen from a broadcast `out` shape (0 on broadcast axes). */
export function broadcastStrides(shape: Shape, out: Shape): number[] {
  const strides = new Array<number>(out.length).fill(0);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const j = out.length - shape.length + i;
    strides[j] = shape[i] === 1 ? 0 : s;
    s *= shape[i];
  }
  return strides;
}

/** Calls f(outIndex, aIndex, bIndex) for every element of the broadcast output. */
export function forEachBroadcast(out: Shape, a: Shape, b: Shape, f: (o: number, ia: number, ib: number) => void): void {
  const sa = broadcastStrides(a, out);
  const sb = broadcastStrides(b, out);
  const rank = out.length;
  const idx = new Array<number>(rank).fill(0);
  const total = out.reduce((x, y) => x * y, 1);
  let ia = 0;
  let ib = 0;
  for (let o = 0; o < total; o++) {
    f(o, ia, ib);
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      ia += sa[d];
      ib += sb[d];
      if (idx[d] < out[d]) break;
      ia -= sa[d] * out[d];
      ib -= sb[d] * out[d];
      idx[d] = 0;
    }
  }
}

/** A broadcast reduced to as few axes as it needs: extents and each input's element strides. */
export interface BroadcastLoops {
  readonly dims: number[];
  readonly a: number[];
  readonly b: number[];
}

/**
 * Collapses a NumPy broadcast of `a` and `b` to `out`: size-1 axes go, and an axis merges
 * into the one inside it when both inputs continue contiguously across them (a stride-0
 * axis merges with a stride-0 axis). Equal shapes become one axis, a per-channel operand
 * [N, C, H*W]. Always at least one axis.
 */
export function collapseBroadcast(out: Shape, a: Shape, b: Shape): BroadcastLoops {
  const sa = broadcastStrides(a, out);
  const sb = broadcastStrides(b, out);
  const r: BroadcastLoops = { dims: [], a: [], b: [] };
  out.forEach((d, i) => {
    if (d === 1) return;
    const k = r.dims.length - 1;
    if (k >= 0 && r.a[k] === sa[i] * d && r.b[k] === sb[i] * d) {
      r.dims[k] *= d;
      r.a[k] = sa[i];
      r.b[k] = sb[i];
    } else {
      r.dims.push(d);
      r.a.push(sa[i]);
      r.b.push(sb[i]);
    }
  });
  return r.dims.length ? r : { dims: [1], a: [0], b: [0] };
}

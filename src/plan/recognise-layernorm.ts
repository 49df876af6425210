/**
 * torch 1.13 exports nn.LayerNorm at opset 13 (LayerNormalization arrived in opset 17) as a
 * chain of seven to nine elementwise and reduce nodes; this recognises the chain as the one
 * layernorm IR op it is, so the statistics take one pass and the normalisation another,
 * and channels-first.ts can then move it to NCHW.
 */
import type { Node } from '../graph/graph.js';
import { onlyReader, sameDims, scalarInit, type PassContext } from './rewriter.js';

/**
 * Whether a constant of `shape` holds one value per element of x's axes [axis, rank),
 * broadcast over the axes before (a LayerNorm's weight [C] of an N x H x W x C input).
 */
function trailingParam(shape: readonly number[], x: readonly number[], axis: number): boolean {
  if (shape.length > x.length) return false;
  for (let j = 1; j <= shape.length; j++) {
    const xa = x.length - j;
    if (shape[shape.length - j] !== (xa >= axis ? x[xa] : 1)) return false;
  }
  return shape.reduce((a, b) => a * b, 1) === x.slice(axis).reduce((a, b) => a * b, 1);
}

/**
 * torch 1.13's opset-13 export of nn.LayerNorm over the last k axes: ReduceMean(x) -> Sub(x,
 * mean) -> Pow(2) -> ReduceMean -> Add(eps) -> Sqrt -> Div(x - mean, .), then Mul(weight) and
 * Add(bias) when affine (operands in either order): one layernorm node, named after the node
 * giving the result (one pass over the vector for the statistics, one to normalise, instead
 * of nine tensors written).
 */
export function recogniseLayerNorm({ g, graph, outputs, inits, values }: PassContext): string[] {
  const found: string[] = [];
  const scalar = (t: string) => scalarInit(inits, t, values);
  const reader = (t: string, op: string) => {
    const r = onlyReader(g, outputs, t);
    return r !== undefined && g.node(r)!.op === op ? r : undefined;
  };
  const other = (n: Node, t: string) => (n.inputs[0] === t ? n.inputs[1] : n.inputs[0]);
  for (const r of g.indicesOf('reducemean')) {
    const mean = g.node(r);
    if (!mean || mean.op !== 'reducemean') continue;
    const { axes, keepdims } = mean.attrs as { axes: readonly number[]; keepdims: boolean };
    const x = mean.inputs[0];
    const xs = graph.shape(x);
    const axis = xs.length - axes.length;
    if (!keepdims || !axes.every((a, k) => a === axis + k)) continue;
    const s = reader(mean.outputs[0], 'sub');
    const sub = s === undefined ? undefined : g.node(s)!;
    if (s === undefined || !sub || sub.inputs[0] !== x || sub.inputs[1] !== mean.outputs[0]) continue;
    const d = sub.outputs[0];
    const dReaders = [...g.readers(d)];
    if (outputs.has(d) || dReaders.length !== 2) continue;
    const p = dReaders.find((k) => g.node(k)!.op === 'pow');
    const q = dReaders.find((k) => g.node(k)!.op === 'div');
    if (p === undefined || q === undefined) continue;
    const pow = g.node(p)!;
    if (pow.inputs[0] !== d || scalar(pow.inputs[1]) !== 2) continue;
    const v = reader(pow.outputs[0], 'reducemean');
    const variance = v === undefined ? undefined : g.node(v)!;
    if (v === undefined || !variance || !sameDims((variance.attrs as { axes: number[] }).axes, axes) || !(variance.attrs as { keepdims: boolean }).keepdims) continue;
    const a = reader(variance.outputs[0], 'add');
    const add = a === undefined ? undefined : g.node(a)!;
    const epsilon = add ? scalar(other(add, variance.outputs[0])) : undefined;
    if (a === undefined || !add || epsilon === undefined || !(epsilon >= 0)) continue;
    const sq = reader(add.outputs[0], 'sqrt');
    if (sq === undefined) continue;
    const div = g.node(q)!;
    if (div.inputs[0] !== d || div.inputs[1] !== g.node(sq)!.outputs[0] || onlyReader(g, outputs, g.node(sq)!.outputs[0]) !== q) continue;
    const gone = [r, s, p, v, a, sq];
    let last = q;
    const params: string[] = [];
    const affine = (op: 'mul' | 'add') => {
      const k = reader(g.node(last)!.outputs[0], op);
      if (k === undefined) return false;
      const w = other(g.node(k)!, g.node(last)!.outputs[0]);
      const init = inits.get(w);
      if (!init || !trailingParam(init.shape, xs, axis) || !sameDims(graph.shape(g.node(k)!.outputs[0]), xs)) return false;
      gone.push(last);
      last = k;
      params.push(w);
      return true;
    };
    if (affine('mul')) affine('add');
    const n = g.node(last)!;
    for (const k of gone) g.remove(k);
    g.replace(last, { name: n.name, op: 'layernorm', inputs: [x, ...params], outputs: n.outputs, attrs: { axis, count: 0, epsilon }, layer: n.layer, ...(n.block ? { block: n.block } : {}) });
    found.push(n.name);
  }
  return found;
}

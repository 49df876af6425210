/**
 * ShuffleNet's channel shuffle as torch exports it (it has no ONNX op): Reshape [N, C, ...] ->
 * [N, g, C/g, ...], Transpose [0, 2, 1, 3, ...], Reshape back to [N, C, ...]. Recognised as one
 * channelshuffle IR op: one copy of the tensor instead of three steps, and one cost-table row,
 * as the zoo's shufflenetv2 has.
 */
import { typed } from '../ops/attrs.js';
import { onlyReader, sameDims, type PassContext } from './rewriter.js';

/** Rewrites every Reshape -> Transpose -> Reshape channel shuffle; returns the transposes' names. */
export function recogniseChannelShuffle({ g, graph, outputs }: Pick<PassContext, 'g' | 'graph' | 'outputs'>): string[] {
  const shuffles: string[] = [];
  const soleConsumer = (i: number) => onlyReader(g, outputs, g.node(i)!.outputs[0]);
  for (const i of g.indicesOf('transpose')) {
    const t = typed(g.node(i)!);
    if (t.op !== 'transpose') continue;
    const perm = t.attrs.perm;
    if (perm.length < 3 || perm[0] !== 0 || perm[1] !== 2 || perm[2] !== 1 || perm.some((v, d) => d > 2 && v !== d)) continue;
    const p = g.producer(t.inputs[0]);
    const q = soleConsumer(i);
    if (p === undefined || q === undefined || soleConsumer(p) !== i) continue;
    const split = g.node(p)!;
    const join = g.node(q)!;
    if (split.op !== 'reshape' || join.op !== 'reshape') continue;
    const x = graph.shape(split.inputs[0]);
    const mid = graph.shape(t.inputs[0]);
    const y = graph.shape(join.outputs[0]);
    const groups = mid[1];
    if (x.length !== mid.length - 1 || !sameDims(x, y) || x[0] !== mid[0] || groups * mid[2] !== x[1] || !sameDims(x.slice(2), mid.slice(3))) continue;
    g.remove(p);
    g.remove(i);
    g.replace(q, { name: t.name, op: 'channelshuffle', inputs: [split.inputs[0]], outputs: join.outputs, attrs: { groups }, layer: t.layer, ...(t.block ? { block: t.block } : {}) });
    shuffles.push(t.name);
  }
  return shuffles;
}

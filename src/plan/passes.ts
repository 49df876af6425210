import type { Graph, Initializer, Node } from '../graph/graph.js';
import { sizeOf } from '../graph/graph.js';
import { finalizeGraph } from '../graph/validate.js';
import type { FusedActivation } from '../ops/fused-activation.js';

/** Which passes ran and what each changed: shown by `webconv summary --optimize`. */
export interface PassReport {
  readonly removed: readonly string[];
  readonly foldedBatchNorms: readonly string[];
  readonly fusedResiduals: readonly string[];
  readonly fusedActivations: readonly string[];
}

export interface OptimizedGraph {
  readonly graph: Graph;
  readonly report: PassReport;
}

/**
 * The planner's graph passes, in order: Identity and Dropout removed; BatchNormalization
 * folded into the conv before it; a residual add folded into the epilogue of the conv that
 * computes one of its operands; ReLU / Clip / LeakyReLU fused into the conv or fc before
 * it (so a ResNet block's conv + BN + add + ReLU runs as one conv). Tensor names of graph outputs are kept, so a caller's outputs do not change name.
 * Folded weights are computed on first use, not here.
 */
export function optimizeGraph(graph: Graph): OptimizedGraph {
  let nodes = [...graph.nodes];
  const inits = new Map(graph.initializers);
  const outputs = new Set(graph.outputs);
  const removed: string[] = [];
  const folded: string[] = [];
  const fused: string[] = [];
  const residuals: string[] = [];

  const consumers = (t: string) => nodes.filter((n) => n.inputs.includes(t));
  const producer = (t: string) => nodes.find((n) => n.outputs[0] === t);
  /** Removes `gone` (a single-input, single-output node) by giving its output name to `keep`. */
  const absorb = (keep: Node, gone: Node, patch: Partial<Node>) => {
    const out = gone.outputs[0];
    const merged: Node = { ...keep, ...patch, outputs: [out] };
    nodes = nodes.filter((n) => n !== gone).map((n) => (n === keep ? merged : n));
  };
  const soleConsumer = (n: Node) => {
    const t = n.outputs[0];
    const c = consumers(t);
    return c.length === 1 && !outputs.has(t) ? c[0] : undefined;
  };

  // 1. Identity and dropout are no-ops at inference.
  for (const name of nodes.filter((m) => m.op === 'identity' || m.op === 'dropout').map((m) => m.name)) {
    const n = nodes.find((m) => m.name === name)!;
    const src = n.inputs[0];
    const p = producer(src);
    if (!outputs.has(n.outputs[0])) {
      const out = n.outputs[0];
      nodes = nodes.filter((m) => m !== n).map((m) => (m.inputs.includes(out) ? { ...m, inputs: m.inputs.map((t) => (t === out ? src : t)) } : m));
    } else if (p && !outputs.has(src) && consumers(src).length === 1) {
      absorb(p, n, {});
    } else continue; // a graph output that is the graph's input or a shared tensor: keep it
    removed.push(n.name);
  }

  // 2. Batch norm folded into the preceding conv: W' = W * a, b' = (b - mean) * a + beta.
  for (const bn of nodes.filter((n) => n.op === 'batchnorm')) {
    const conv = producer(bn.inputs[0]);
    if (!conv || conv.op !== 'conv2d' || soleConsumer(conv) !== bn) continue;
    if (!bn.inputs.slice(1).every((t) => inits.has(t))) continue;
    const [wName, bName] = [conv.inputs[1], conv.inputs[2]];
    const w = inits.get(wName)!;
    const cout = w.shape[0];
    const eps = (bn.attrs as { epsilon: number }).epsilon;
    const scaleShift = () => {
      const [gamma, beta, mean, variance] = bn.inputs.slice(1).map((t) => graph.weight(t));
      const a = new Float64Array(cout);
      for (let c = 0; c < cout; c++) a[c] = gamma[c] / Math.sqrt(variance[c] + eps);
      return { a, beta, mean };
    };
    const newW: Initializer = {
      name: `${conv.name}.weight_folded`, shape: w.shape, trainable: true,
      derive: () => {
        const { a } = scaleShift();
        const src = graph.weight(wName);
        const per = sizeOf(w.shape) / cout;
        const out = new Float32Array(src.length);
        for (let i = 0; i < src.length; i++) out[i] = src[i] * a[Math.floor(i / per)];
        return out;
      },
    };
    const newB: Initializer = {
      name: `${conv.name}.bias_folded`, shape: [cout], trainable: true,
      derive: () => {
        const { a, beta, mean } = scaleShift();
        const b = bName ? graph.weight(bName) : undefined;
        const out = new Float32Array(cout);
        for (let c = 0; c < cout; c++) out[c] = ((b ? b[c] : 0) - mean[c]) * a[c] + beta[c];
        return out;
      },
    };
    inits.set(newW.name, newW);
    inits.set(newB.name, newB);
    absorb(conv, bn, { inputs: [conv.inputs[0], newW.name, newB.name] });
    folded.push(bn.name);
  }

  // 3. A residual add folded into the epilogue of the conv computing one operand.
  for (const add of nodes.filter((n) => n.op === 'add')) {
    const [a, b] = add.inputs;
    const same = (t: string, u: string) => graph.shape(t).join() === graph.shape(u).join();
    for (const [mine, other] of [[a, b], [b, a]]) {
      const conv = producer(mine);
      if (!conv || conv.op !== 'conv2d' || conv.inputs.length !== 3 || soleConsumer(conv) !== add) continue;
      if ((conv.attrs as { activation?: unknown }).activation || !same(mine, other) || mine === other) continue;
      absorb(conv, add, { inputs: [...conv.inputs, other] });
      residuals.push(add.name);
      break;
    }
  }

  // 4. Activations fused into the conv / fc epilogue.
  for (const act of nodes.filter((n) => n.op === 'relu' || n.op === 'clip' || n.op === 'leakyrelu')) {
    const p = producer(act.inputs[0]);
    if (!p || (p.op !== 'conv2d' && p.op !== 'fc') || soleConsumer(p) !== act) continue;
    if ((p.attrs as { activation?: unknown }).activation) continue;
    const a = act.attrs as { min?: number; max?: number; alpha?: number };
    const activation: FusedActivation =
      act.op === 'relu' ? { op: 'relu' } : act.op === 'clip' ? { op: 'clip', min: a.min!, max: a.max! } : { op: 'leakyrelu', alpha: a.alpha! };
    absorb(p, act, { attrs: { ...p.attrs, activation } });
    fused.push(act.name);
  }

  const used = new Set(nodes.flatMap((n) => n.inputs));
  const keptInits = new Map([...inits].filter(([name]) => used.has(name)));
  const optimized = finalizeGraph(graph.name, graph.inputs, graph.outputs, nodes, keptInits);
  return { graph: optimized, report: { removed, foldedBatchNorms: folded, fusedResiduals: residuals, fusedActivations: fused } };
}

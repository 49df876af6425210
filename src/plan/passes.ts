import type { Graph, Initializer, Node } from '../graph/graph.js';
import { initializerValues, sizeOf } from '../graph/graph.js';
import { finalizeGraph } from '../graph/validate.js';
import { typed } from '../ops/attrs.js';
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
 * The nodes of a graph being rewritten, with who produces and who reads each tensor kept
 * up to date, so every query and every rewrite costs O(degree), not O(nodes): the passes
 * are linear in the size of the graph.
 */
class Rewriter {
  private readonly slots: (Node | undefined)[];
  private readonly producers = new Map<string, number>();
  private readonly readerSets = new Map<string, Set<number>>();

  constructor(nodes: readonly Node[]) {
    this.slots = [...nodes];
    this.slots.forEach((n, i) => this.link(i, n!));
  }

  /** Indices of the live nodes of an op, in order (taken once: a pass may remove some as it goes). */
  indicesOf(...ops: string[]): number[] {
    const out: number[] = [];
    this.slots.forEach((n, i) => n && ops.includes(n.op) && out.push(i));
    return out;
  }

  node(i: number): Node | undefined {
    return this.slots[i];
  }

  /** The node whose first output is `t`. */
  producer(t: string): number | undefined {
    return this.producers.get(t);
  }

  readers(t: string): ReadonlySet<number> {
    return this.readerSets.get(t) ?? EMPTY;
  }

  replace(i: number, n: Node): void {
    this.unlink(i, this.slots[i]!);
    this.slots[i] = n;
    this.link(i, n);
  }

  remove(i: number): void {
    this.unlink(i, this.slots[i]!);
    this.slots[i] = undefined;
  }

  nodes(): Node[] {
    return this.slots.filter((n): n is Node => n !== undefined);
  }

  private link(i: number, n: Node): void {
    if (n.outputs.length) this.producers.set(n.outputs[0], i);
    for (const t of n.inputs) {
      let s = this.readerSets.get(t);
      if (!s) this.readerSets.set(t, (s = new Set()));
      s.add(i);
    }
  }

  private unlink(i: number, n: Node): void {
    if (n.outputs.length && this.producers.get(n.outputs[0]) === i) this.producers.delete(n.outputs[0]);
    for (const t of n.inputs) this.readerSets.get(t)?.delete(i);
  }
}

const EMPTY: ReadonlySet<number> = new Set();

/**
 * The planner's graph passes, in order: Identity and Dropout removed; BatchNormalization
 * folded into the conv before it (a chain of them folds one after another); a residual add
 * folded into the epilogue of the conv that computes one of its operands; ReLU / Clip /
 * LeakyReLU fused into the conv or fc before it (so a ResNet block's conv + BN + add + ReLU
 * runs as one conv). Tensor names of graph outputs are kept, so a caller's outputs do not
 * change name. Folded weights are computed on first use, not here, under names no other
 * tensor of the graph has. Every pass is linear in the number of nodes.
 */
export function optimizeGraph(graph: Graph): OptimizedGraph {
  const g = new Rewriter(graph.nodes);
  const inits = new Map(graph.initializers);
  const outputs = new Set(graph.outputs);
  const removed: string[] = [];
  const folded: string[] = [];
  const fused: string[] = [];
  const residuals: string[] = [];

  const taken = new Set<string>([...graph.inputs.map((i) => i.name), ...inits.keys(), ...graph.nodes.flatMap((n) => n.outputs)]);
  /** `base`, or `base_2`, `base_3`, ...: a tensor name no tensor of the graph has. */
  const freshName = (base: string) => {
    let name = base;
    for (let k = 2; taken.has(name); k++) name = `${base}_${k}`;
    taken.add(name);
    return name;
  };
  /** An initializer's values, rewritten ones (folded weights) included. */
  const values = (name: string) => initializerValues(inits.get(name), name, graph.name);
  /** Removes `gone` (a single-input, single-output node) by giving its output name to `keep`. */
  const absorb = (keep: number, gone: number, patch: Partial<Node>) => {
    const out = g.node(gone)!.outputs[0];
    const merged: Node = { ...g.node(keep)!, ...patch, outputs: [out] };
    g.remove(gone);
    g.replace(keep, merged);
  };
  /** The one node reading `i`'s output, when there is exactly one and the output is not a graph output. */
  const soleConsumer = (i: number) => {
    const t = g.node(i)!.outputs[0];
    const r = g.readers(t);
    return r.size === 1 && !outputs.has(t) ? [...r][0] : undefined;
  };

  // 1. Identity and dropout are no-ops at inference.
  for (const i of g.indicesOf('identity', 'dropout')) {
    const n = g.node(i)!;
    const src = n.inputs[0];
    const out = n.outputs[0];
    const p = g.producer(src);
    if (!outputs.has(out)) {
      for (const r of [...g.readers(out)]) {
        const m = g.node(r)!;
        g.replace(r, { ...m, inputs: m.inputs.map((t) => (t === out ? src : t)) });
      }
      g.remove(i);
    } else if (p !== undefined && !outputs.has(src) && g.readers(src).size === 1) {
      absorb(p, i, {});
    } else continue; // a graph output that is the graph's input or a shared tensor: keep it
    removed.push(n.name);
  }

  // 2. Batch norm folded into the preceding conv: W' = W * a, b' = (b - mean) * a + beta.
  for (const i of g.indicesOf('batchnorm')) {
    const bn = typed(g.node(i)!);
    const c = g.producer(bn.inputs[0]);
    const conv = c === undefined ? undefined : typed(g.node(c)!);
    if (c === undefined || bn.op !== 'batchnorm' || conv?.op !== 'conv2d' || soleConsumer(c) !== i) continue;
    if (conv.inputs.length > 3 || conv.attrs.activation) continue;
    if (!bn.inputs.slice(1).every((t) => inits.has(t))) continue;
    const [wName, bName] = [conv.inputs[1], conv.inputs[2]];
    const w = inits.get(wName);
    if (!w || (bName && !inits.has(bName))) continue; // weights computed at run time: nothing to fold into
    const cout = w.shape[0];
    const eps = bn.attrs.epsilon;
    const stats = bn.inputs.slice(1);
    const scaleShift = () => {
      const [gamma, beta, mean, variance] = stats.map(values);
      const a = new Float64Array(cout);
      for (let k = 0; k < cout; k++) a[k] = gamma[k] / Math.sqrt(variance[k] + eps);
      return { a, beta, mean };
    };
    const newW: Initializer = {
      name: freshName(`${conv.name}.weight_folded`), shape: w.shape, trainable: true,
      derive: () => {
        const { a } = scaleShift();
        const src = values(wName);
        const per = sizeOf(w.shape) / cout;
        const out = new Float32Array(src.length);
        for (let k = 0; k < src.length; k++) out[k] = src[k] * a[Math.floor(k / per)];
        return out;
      },
    };
    const newB: Initializer = {
      name: freshName(`${conv.name}.bias_folded`), shape: [cout], trainable: true,
      derive: () => {
        const { a, beta, mean } = scaleShift();
        const b = bName ? values(bName) : undefined;
        const out = new Float32Array(cout);
        for (let k = 0; k < cout; k++) out[k] = ((b ? b[k] : 0) - mean[k]) * a[k] + beta[k];
        return out;
      },
    };
    inits.set(newW.name, newW);
    inits.set(newB.name, newB);
    absorb(c, i, { inputs: [conv.inputs[0], newW.name, newB.name] });
    folded.push(bn.name);
  }

  // 3. A residual add folded into the epilogue of the conv computing one operand.
  for (const i of g.indicesOf('add')) {
    const add = g.node(i)!;
    const [a, b] = add.inputs;
    const same = (t: string, u: string) => graph.shape(t).join() === graph.shape(u).join();
    for (const [mine, other] of [[a, b], [b, a]]) {
      const c = g.producer(mine);
      const conv = c === undefined ? undefined : typed(g.node(c)!);
      if (c === undefined || conv?.op !== 'conv2d' || conv.inputs.length !== 3 || soleConsumer(c) !== i) continue;
      if (conv.attrs.activation || !same(mine, other) || mine === other) continue;
      absorb(c, i, { inputs: [...conv.inputs, other] });
      residuals.push(add.name);
      break;
    }
  }

  // 4. Activations fused into the conv / fc epilogue.
  for (const i of g.indicesOf('relu', 'clip', 'leakyrelu')) {
    const act = typed(g.node(i)!);
    const p = g.producer(act.inputs[0]);
    const prod = p === undefined ? undefined : typed(g.node(p)!);
    if (p === undefined || (prod?.op !== 'conv2d' && prod?.op !== 'fc') || soleConsumer(p) !== i) continue;
    if (prod.attrs.activation) continue;
    const activation: FusedActivation | undefined =
      act.op === 'relu' ? { op: 'relu' } : act.op === 'clip' ? { op: 'clip', ...act.attrs } : act.op === 'leakyrelu' ? { op: 'leakyrelu', ...act.attrs } : undefined;
    if (!activation) continue;
    absorb(p, i, { attrs: { ...prod.attrs, activation } });
    fused.push(act.name);
  }

  const nodes = g.nodes();
  // Initializers still read by a node, or returned as graph outputs.
  const used = new Set([...nodes.flatMap((n) => n.inputs), ...graph.outputs]);
  const keptInits = new Map([...inits].filter(([name]) => used.has(name)));
  const optimized = finalizeGraph(graph.name, graph.inputs, graph.outputs, nodes, keptInits);
  return { graph: optimized, report: { removed, foldedBatchNorms: folded, fusedResiduals: residuals, fusedActivations: fused } };
}

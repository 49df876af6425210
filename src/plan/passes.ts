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
  /** Pointwise patterns of torch's opset-13 exports run as one op: Mul(x, Sigmoid(x)) as silu, Mul(x, HardSigmoid(x)) as hardswish, the Erf chain as gelu (named after the node giving the result). */
  readonly pointwisePatterns: readonly string[];
  /** Reshape -> Transpose -> Reshape chains run as one channelshuffle (named after the transpose). */
  readonly channelShuffles: readonly string[];
  /** torch's opset-13 LayerNorm chains (ReduceMean ... Div, Mul, Add) run as one layernorm (named after the node giving the result). */
  readonly layerNorms?: readonly string[];
  /** Channels-last regions (Transpose in, layer norm / Linear / pointwise, Transpose out) run channels-first (named after the entering transpose). */
  readonly channelsFirst?: readonly string[];
  /** Per-channel constant Muls after a conv (ConvNeXt's layer scale) folded into its weights (named after the Mul). */
  readonly channelScales?: readonly string[];
  /** Bias Adds after a Linear over the last axis of an N-d tensor (Reshape -> fc -> Reshape -> Add) made the fc's bias (named after the Add). */
  readonly linearBiases?: readonly string[];
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

  // 2b. torch's opset-13 LayerNorm recognised as one op, then channels-last regions (ConvNeXt's
  // blocks) run channels-first without their transposes (before 3 and 4, so the 1x1 convs they
  // become take the residual add and the activation into their epilogue).
  const lnCtx: LayerNormPassContext = { g, graph, outputs, inits, values, freshName };
  const layerNorms = recogniseLayerNorm(lnCtx);
  const channelsFirst = runChannelsFirst(lnCtx);
  const channelScales = foldChannelScales(lnCtx);
  const linearBiases = foldLinearBiases(lnCtx);

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

  // 3b. torch's opset-13 silu, hardswish and gelu, recognised as one op each (before 4, so they fuse).
  const pointwise = [...recogniseGatedActivations(g, outputs), ...recogniseGelu(g, outputs, (t) => scalarInit(inits, t, values), (t) => graph.shape(t))];

  // 4. Activations fused into the conv / fc epilogue.
  for (const i of g.indicesOf('relu', 'clip', 'leakyrelu', 'hardsigmoid', 'hardswish', 'silu', 'gelu')) {
    const act = typed(g.node(i)!);
    const p = g.producer(act.inputs[0]);
    const prod = p === undefined ? undefined : typed(g.node(p)!);
    if (p === undefined || (prod?.op !== 'conv2d' && prod?.op !== 'fc') || soleConsumer(p) !== i) continue;
    if (prod.attrs.activation) continue;
    const activation: FusedActivation | undefined =
      act.op === 'relu' ? { op: 'relu' } : act.op === 'clip' ? { op: 'clip', ...act.attrs } : act.op === 'leakyrelu' ? { op: 'leakyrelu', ...act.attrs } : undefined;
    const pointwiseActivation: FusedActivation | undefined =
      act.op === 'hardsigmoid' ? { op: 'hardsigmoid', ...act.attrs } : act.op === 'hardswish' || act.op === 'silu' || act.op === 'gelu' ? { op: act.op } : undefined;
    if (!activation && !pointwiseActivation) continue;
    absorb(p, i, { attrs: { ...prod.attrs, activation: activation ?? pointwiseActivation } });
    fused.push(act.name);
  }

  // 5. ShuffleNet's channel shuffle as torch exports it: Reshape [N, C, ...] -> [N, g, C/g, ...],
  // Transpose [0, 2, 1, 3, ...], Reshape back to [N, C, ...]: one channelshuffle (one copy, not three steps).
  const shuffles: string[] = [];
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
    const same = (u: readonly number[], v: readonly number[]) => u.length === v.length && u.every((d, k) => d === v[k]);
    const groups = mid[1];
    if (x.length !== mid.length - 1 || !same(x, y) || x[0] !== mid[0] || groups * mid[2] !== x[1] || !same(x.slice(2), mid.slice(3))) continue;
    g.remove(p);
    g.remove(i);
    g.replace(q, { name: t.name, op: 'channelshuffle', inputs: [split.inputs[0]], outputs: join.outputs, attrs: { groups }, layer: t.layer, ...(t.block ? { block: t.block } : {}) });
    shuffles.push(t.name);
  }

  const nodes = g.nodes();
  // Initializers still read by a node, or returned as graph outputs.
  const used = new Set([...nodes.flatMap((n) => n.inputs), ...graph.outputs]);
  const keptInits = new Map([...inits].filter(([name]) => used.has(name)));
  const optimized = finalizeGraph(graph.name, graph.inputs, graph.outputs, nodes, keptInits);
  return { graph: optimized, report: { removed, foldedBatchNorms: folded, fusedResiduals: residuals, fusedActivations: fused, pointwisePatterns: pointwise, channelShuffles: shuffles, layerNorms, channelsFirst, channelScales, linearBiases } };
}

/** The value of a one-element initializer, else undefined. */
function scalarInit(inits: ReadonlyMap<string, Initializer>, t: string, values: (name: string) => ArrayLike<number>): number | undefined {
  const init = inits.get(t);
  return init && sizeOf(init.shape) === 1 ? values(t)[0] : undefined;
}

/** The node reading `t`, when it is the only one and `t` is not a graph output. */
function onlyReader(g: Rewriter, outputs: ReadonlySet<string>, t: string): number | undefined {
  const r = g.readers(t);
  return r.size === 1 && !outputs.has(t) ? [...r][0] : undefined;
}

/** Replaces node `last` by one `op` node over `x` with `last`'s outputs, name and layer, and removes `gone`. */
function collapseInto(g: Rewriter, last: number, gone: readonly number[], op: 'silu' | 'hardswish' | 'gelu', x: string): string {
  const n = g.node(last)!;
  for (const i of gone) g.remove(i);
  g.replace(last, { name: n.name, op, inputs: [x], outputs: n.outputs, attrs: {}, layer: n.layer, ...(n.block ? { block: n.block } : {}) });
  return n.name;
}

/**
 * torch's opset-13 exports of nn.SiLU, Mul(x, Sigmoid(x)), and nn.Hardswish, Mul(x,
 * HardSigmoid(x; 1/6, 1/2)), either operand order: one silu / hardswish node (one pass over
 * the tensor instead of two, and an activation a conv epilogue can fuse).
 */
function recogniseGatedActivations(g: Rewriter, outputs: ReadonlySet<string>): string[] {
  const found: string[] = [];
  for (const i of g.indicesOf('mul')) {
    const mul = g.node(i);
    if (!mul) continue;
    for (const [gate, x] of [[mul.inputs[0], mul.inputs[1]], [mul.inputs[1], mul.inputs[0]]]) {
      const s = g.producer(gate);
      const sn = s === undefined ? undefined : typed(g.node(s)!);
      if (s === undefined || !sn || sn.inputs[0] !== x || onlyReader(g, outputs, gate) !== i) continue;
      const torchHardSigmoid = sn.op === 'hardsigmoid' && Math.abs(sn.attrs.alpha - 1 / 6) < 1e-6 && Math.abs(sn.attrs.beta - 0.5) < 1e-7;
      if (sn.op !== 'sigmoid' && !torchHardSigmoid) continue;
      found.push(collapseInto(g, i, [s], sn.op === 'sigmoid' ? 'silu' : 'hardswish', x));
      break;
    }
  }
  return found;
}

/**
 * torch's opset-13 export of the exact nn.GELU: Div(x, sqrt 2) (or Mul(x, 1/sqrt 2)) -> Erf ->
 * Add(1) -> Mul(x) -> Mul(0.5), or with the two Muls the other way round (Mul(0.5) then
 * Mul(x)), operands in either order: one gelu node.
 */
function recogniseGelu(g: Rewriter, outputs: ReadonlySet<string>, scalar: (t: string) => number | undefined, shape: (t: string) => readonly number[]): string[] {
  const found: string[] = [];
  const near = (v: number | undefined, want: number) => v !== undefined && Math.abs(v - want) <= 1e-6 * Math.abs(want);
  /** The operand of binary node n that is not `t` (n reads t once). */
  const other = (n: Node, t: string) => (n.inputs[0] === t ? n.inputs[1] : n.inputs[0]);
  for (const e of g.indicesOf('erf')) {
    const erf = g.node(e);
    if (!erf) continue;
    const d = g.producer(erf.inputs[0]);
    const scale = d === undefined ? undefined : g.node(d)!;
    if (d === undefined || !scale || onlyReader(g, outputs, erf.inputs[0]) !== e) continue;
    let x: string | undefined;
    if (scale.op === 'div' && near(scalar(scale.inputs[1]), Math.SQRT2)) x = scale.inputs[0];
    else if (scale.op === 'mul' && near(scalar(scale.inputs[1]), Math.SQRT1_2)) x = scale.inputs[0];
    else if (scale.op === 'mul' && near(scalar(scale.inputs[0]), Math.SQRT1_2)) x = scale.inputs[1];
    if (x === undefined) continue;
    const a = onlyReader(g, outputs, erf.outputs[0]);
    const add = a === undefined ? undefined : g.node(a)!;
    if (a === undefined || add?.op !== 'add' || !near(scalar(other(add, erf.outputs[0])), 1)) continue;
    const m1 = onlyReader(g, outputs, add.outputs[0]);
    const mul1 = m1 === undefined ? undefined : g.node(m1)!;
    if (m1 === undefined || mul1?.op !== 'mul') continue;
    const m2 = onlyReader(g, outputs, mul1.outputs[0]);
    const mul2 = m2 === undefined ? undefined : g.node(m2)!;
    if (m2 === undefined || mul2?.op !== 'mul') continue;
    const first = other(mul1, add.outputs[0]);
    const second = other(mul2, mul1.outputs[0]);
    const ok = (first === x && near(scalar(second), 0.5)) || (second === x && near(scalar(first), 0.5));
    // A constant of higher rank would broadcast x to another shape: not a plain gelu.
    if (!ok || shape(x).join() !== shape(mul2.outputs[0]).join()) continue;
    found.push(collapseInto(g, m2, [d, e, a, m1], 'gelu', x));
  }
  return found;
}

/** What the layer-norm passes share with optimizeGraph. */
interface LayerNormPassContext {
  readonly g: Rewriter;
  readonly graph: Graph;
  readonly outputs: ReadonlySet<string>;
  readonly inits: Map<string, Initializer>;
  readonly values: (name: string) => Float32Array;
  readonly freshName: (base: string) => string;
}

const sameDims = (u: readonly number[], v: readonly number[]) => u.length === v.length && u.every((d, k) => d === v[k]);

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
function recogniseLayerNorm({ g, graph, outputs, inits, values }: LayerNormPassContext): string[] {
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

/** Pointwise ops that do not care about layout: channels-last and channels-first alike. */
const LAYOUT_FREE_UNARY = new Set<string>(['relu', 'clip', 'leakyrelu', 'tanh', 'sigmoid', 'erf', 'sqrt', 'gelu', 'silu', 'hardswish', 'hardsigmoid']);
const LAYOUT_FREE_BINARY = new Set<string>(['add', 'mul', 'sub', 'div', 'pow']);

/**
 * ConvNeXt's channels-last blocks run channels-first, without the two physical transposes:
 * a region of the graph entered by Transpose [0, 2, 3, 1] of an N x C x H x W tensor and left
 * only by Transposes [0, 3, 1, 2], holding only layer norms over the last axis, Linear layers
 * over the last axis (Reshape [-1, C] -> fc -> Reshape back, as webconv imports MatMul) and
 * pointwise ops whose constants are scalars or one per channel, is rewritten in NCHW: layer
 * norm over axis 1, each Linear a 1x1 conv (the same weights: fc's [M, K] is conv's
 * [M, K, 1, 1]) with the bias Add that follows and a per-channel scale (ConvNeXt's layer
 * scale) folded in, per-channel constants as [C, 1, 1]. Returns the entering transposes.
 */
function runChannelsFirst({ g, graph, outputs, inits, values, freshName }: LayerNormPassContext): string[] {
  const found: string[] = [];
  const isPerm = (n: Node | undefined, p: readonly number[]) => n?.op === 'transpose' && sameDims((n.attrs as { perm: number[] }).perm, p);
  const perChannel = (t: string, c: number) => {
    const init = inits.get(t);
    return init !== undefined && sizeOf(init.shape) === c && (c === 1 || init.shape[init.shape.length - 1] === c) && init.shape.length <= 4;
  };
  for (const i of g.indicesOf('transpose')) {
    const t1 = g.node(i);
    if (!t1 || !isPerm(t1, [0, 2, 3, 1])) continue;
    const xs = graph.shape(t1.inputs[0]);
    if (xs.length !== 4) continue;
    const [N, , H, W] = xs;
    const nhwc = (t: string) => {
      const s = graph.shape(t);
      return s.length === 4 && s[0] === N && s[1] === H && s[2] === W ? s[3] : undefined;
    };
    /** Region tensors (channels-last) -> channels. */
    const tensors = new Map<string, number>([[t1.outputs[0], xs[1]]]);
    const region = new Set<number>();
    const exits = new Set<number>();
    /** Linear units: the final reshape's index -> [first reshape, fc]. */
    const units = new Map<number, [number, number]>();
    const queue = [t1.outputs[0]];
    let ok = true;
    const admit = (k: number, out: string) => {
      region.add(k);
      const c = nhwc(out);
      if (c === undefined) ok = false;
      else if (!tensors.has(out)) {
        tensors.set(out, c);
        queue.push(out);
      }
    };
    while (ok && queue.length) {
      const t = queue.shift()!;
      if (outputs.has(t)) ok = false;
      for (const r of g.readers(t)) {
        if (!ok || region.has(r) || exits.has(r) || [...units.values()].some(([a, b]) => a === r || b === r)) continue;
        const n = g.node(r)!;
        if (isPerm(n, [0, 3, 1, 2])) {
          exits.add(r);
        } else if (n.op === 'layernorm' && (n.attrs as { axis: number }).axis === 3 && (n.attrs as { count: number }).count === 0 && n.inputs[0] === t) {
          admit(r, n.outputs[0]);
        } else if (LAYOUT_FREE_UNARY.has(n.op) && n.inputs.length === 1) {
          admit(r, n.outputs[0]);
        } else if (LAYOUT_FREE_BINARY.has(n.op) && n.inputs.length === 2) {
          admit(r, n.outputs[0]);
        } else if (n.op === 'reshape' && sameDims(graph.shape(n.outputs[0]), [N * H * W, tensors.get(t)!])) {
          const f = onlyReader(g, outputs, n.outputs[0]);
          const fc = f === undefined ? undefined : g.node(f)!;
          if (f === undefined || fc?.op !== 'fc' || fc.inputs[0] !== n.outputs[0] || (fc.attrs as { activation?: unknown }).activation || !inits.has(fc.inputs[1])) {
            ok = false;
            continue;
          }
          const b = onlyReader(g, outputs, fc.outputs[0]);
          const back = b === undefined ? undefined : g.node(b)!;
          const M = graph.shape(fc.outputs[0])[1];
          if (b === undefined || back?.op !== 'reshape' || !sameDims(graph.shape(back.outputs[0]), [N, H, W, M])) {
            ok = false;
            continue;
          }
          units.set(b, [r, f]);
          admit(b, back.outputs[0]);
        } else {
          ok = false;
        }
      }
    }
    if (!ok || exits.size === 0) continue;
    // Every operand of the pointwise ops: a region tensor of the same shape, a scalar, or one constant per channel.
    for (const k of region) {
      const n = g.node(k)!;
      if (units.has(k) || n.op === 'layernorm') continue;
      const c = tensors.get(n.outputs[0])!;
      const fine = n.inputs.every((t) => (tensors.has(t) && tensors.get(t) === c) || (inits.has(t) && (sizeOf(inits.get(t)!.shape) === 1 || perChannel(t, c))));
      if (!fine || !n.inputs.some((t) => tensors.has(t))) ok = false;
    }
    for (const x of exits) if (outputs.has(g.node(x)!.outputs[0])) ok = false;
    if (!ok) continue;

    // Rewrite. The region's tensors keep their names; they now hold N x C x H x W.
    // A region tensor read only by exits takes the first exit's name (whose shape in `graph`
    // is already NCHW, as later passes read it); the other exits' readers read it under that name.
    const outName = new Map<string, string>();
    for (const x of exits) {
      const { inputs: [t], outputs: [o] } = g.node(x)!;
      if (!outName.has(t) && [...g.readers(t)].every((r) => exits.has(r)) && g.producer(t) !== undefined && region.has(g.producer(t)!)) outName.set(t, o);
    }
    const rename = new Map<string, string>([[t1.outputs[0], t1.inputs[0]]]);
    for (const x of exits) {
      const { inputs: [t], outputs: [o] } = g.node(x)!;
      const to = outName.get(t) ?? t;
      if (to !== o) rename.set(o, to);
    }
    const named = (outs: readonly string[]) => outs.map((t) => outName.get(t) ?? t);
    const renamed = (t: string) => {
      let u = t;
      while (rename.has(u)) u = rename.get(u)!;
      return u;
    };
    const asColumn = (t: string, c: number) => {
      if (!inits.has(t) || sizeOf(inits.get(t)!.shape) === 1) return t;
      const name = freshName(`${t}.nchw`);
      inits.set(name, { name, shape: [c, 1, 1], trainable: inits.get(t)!.trainable, derive: () => values(t).slice() });
      return name;
    };
    const folded = new Set<number>();
    for (const k of region) {
      const n = g.node(k)!;
      if (folded.has(k)) continue;
      const unit = units.get(k);
      if (unit) {
        const [first, f] = unit;
        const fc = g.node(f)!;
        const [M, K] = inits.get(fc.inputs[1])!.shape;
        const wSrc = fc.inputs[1];
        let bSrc: string | undefined = fc.inputs[2];
        let scale: string | undefined;
        let last = k;
        // The bias Add torch writes after a MatMul, then a per-channel Mul (layer scale).
        const next = (op: string) => {
          const r = onlyReader(g, outputs, g.node(last)!.outputs[0]);
          const m = r === undefined ? undefined : g.node(r)!;
          if (r === undefined || !region.has(r) || m?.op !== op) return undefined;
          const o = m.inputs[0] === g.node(last)!.outputs[0] ? m.inputs[1] : m.inputs[0];
          return perChannel(o, M) && o !== g.node(last)!.outputs[0] ? ([r, o] as const) : undefined;
        };
        const add = bSrc === undefined ? next('add') : undefined;
        if (add) {
          folded.add(add[0]);
          bSrc = add[1];
          last = add[0];
        }
        const mul = next('mul');
        if (mul) {
          folded.add(mul[0]);
          scale = mul[1];
          last = mul[0];
        }
        const weight = freshName(`${fc.name}.conv1x1`);
        inits.set(weight, {
          name: weight, shape: [M, K, 1, 1], trainable: true,
          derive: () => {
            const w = values(wSrc).slice();
            if (scale) {
              const s = values(scale);
              for (let m = 0; m < M; m++) for (let c = 0; c < K; c++) w[m * K + c] *= s[m];
            }
            return w;
          },
        });
        const inputs = [renamed(g.node(first)!.inputs[0]), weight];
        if (bSrc !== undefined) {
          const b = bSrc;
          const bias = freshName(`${fc.name}.conv1x1_bias`);
          inits.set(bias, {
            name: bias, shape: [M], trainable: true,
            derive: () => {
              const v = values(b).slice();
              if (scale) {
                const s = values(scale);
                for (let m = 0; m < M; m++) v[m] *= s[m];
              }
              return v;
            },
          });
          inputs.push(bias);
        }
        const outs = g.node(last)!.outputs;
        g.remove(first);
        g.remove(f);
        for (const extra of [add?.[0], mul?.[0]]) if (extra !== undefined) g.remove(extra);
        g.replace(k, {
          name: fc.name, op: 'conv2d', inputs, outputs: named(outs), layer: fc.layer, ...(fc.block ? { block: fc.block } : {}),
          attrs: { kernel: [1, 1], stride: [1, 1], pads: [0, 0, 0, 0], dilation: [1, 1], ceilMode: false, groups: 1 },
        });
        continue;
      }
      if (n.op === 'layernorm') {
        g.replace(k, { ...n, inputs: n.inputs.map(renamed), outputs: named(n.outputs), attrs: { ...n.attrs, axis: 1, count: 1 } });
        continue;
      }
      const c = tensors.get(n.outputs[0])!;
      g.replace(k, { ...n, inputs: n.inputs.map((t) => asColumn(renamed(t), c)), outputs: named(n.outputs) });
    }
    for (const x of exits) {
      const n = g.node(x)!;
      for (const r of [...g.readers(n.outputs[0])]) {
        const m = g.node(r)!;
        g.replace(r, { ...m, inputs: m.inputs.map(renamed) });
      }
      g.remove(x);
    }
    g.remove(i);
    // Cost-table rows: each layer norm and pointwise op joins the row of the layer before it,
    // as the importer puts elementwise ops (the transposes they followed are gone).
    for (const k of region) {
      const n = g.node(k);
      if (!n || n.op === 'conv2d') continue;
      const from = n.inputs.find((t) => !inits.has(t));
      const p = from === undefined ? undefined : g.producer(from);
      if (p !== undefined) g.replace(k, { ...n, layer: g.node(p)!.layer });
    }
    found.push(t1.name);
  }
  return found;
}

/**
 * A per-channel constant multiplying a conv's output (ConvNeXt's layer scale, `gamma * x` of
 * shape [C, 1, 1] after its block) folded into the conv's weights and bias, so the residual
 * add that follows joins the conv's epilogue. Returns the folded Muls.
 */
function foldChannelScales({ g, outputs, inits, values, freshName }: LayerNormPassContext): string[] {
  const found: string[] = [];
  for (const i of g.indicesOf('mul')) {
    const mul = g.node(i);
    if (!mul) continue;
    for (const [y, s] of [[mul.inputs[0], mul.inputs[1]], [mul.inputs[1], mul.inputs[0]]]) {
      const c = g.producer(y);
      const conv = c === undefined ? undefined : g.node(c)!;
      const scaleInit = inits.get(s);
      if (c === undefined || conv?.op !== 'conv2d' || onlyReader(g, outputs, y) !== i || !scaleInit) continue;
      if ((conv.attrs as { activation?: unknown }).activation || conv.inputs.length > 3 || !inits.has(conv.inputs[1])) continue;
      if (conv.inputs[2] !== undefined && !inits.has(conv.inputs[2])) continue;
      const w = inits.get(conv.inputs[1])!;
      const M = w.shape[0];
      const sh = scaleInit.shape;
      // One value per output channel, on axis 1 of NCHW: [M, 1, 1] or [1, M, 1, 1].
      if (sizeOf(sh) !== M || sh.length < 3 || sh[sh.length - 3] !== M || sh.length > 4) continue;
      const [wSrc, bSrc] = [conv.inputs[1], conv.inputs[2]];
      const per = sizeOf(w.shape) / M;
      const weight = freshName(`${conv.name}.weight_scaled`);
      inits.set(weight, {
        name: weight, shape: w.shape, trainable: true,
        derive: () => {
          const v = values(wSrc).slice();
          const k = values(s);
          for (let j = 0; j < v.length; j++) v[j] *= k[Math.floor(j / per)];
          return v;
        },
      });
      const inputs = [conv.inputs[0], weight];
      if (bSrc !== undefined) {
        const bias = freshName(`${conv.name}.bias_scaled`);
        inits.set(bias, {
          name: bias, shape: [M], trainable: true,
          derive: () => {
            const v = values(bSrc).slice();
            const k = values(s);
            for (let m = 0; m < M; m++) v[m] *= k[m];
            return v;
          },
        });
        inputs.push(bias);
      }
      g.remove(i);
      g.replace(c, { ...conv, inputs, outputs: mul.outputs });
      found.push(mul.name);
      break;
    }
  }
  return found;
}

/**
 * torch writes a Linear over the last axis of an N-d tensor as MatMul then Add(bias): imported
 * as Reshape -> fc -> Reshape, then a broadcast add. The bias becomes the fc's own (one pass
 * over the output fewer). Returns the folded Adds.
 */
function foldLinearBiases({ g, graph, outputs, inits }: LayerNormPassContext): string[] {
  const found: string[] = [];
  for (const f of g.indicesOf('fc')) {
    const fc = g.node(f);
    if (!fc || fc.inputs.length !== 2 || (fc.attrs as { activation?: unknown }).activation) continue;
    const r = onlyReader(g, outputs, fc.outputs[0]);
    const reshape = r === undefined ? undefined : g.node(r)!;
    if (r === undefined || reshape?.op !== 'reshape') continue;
    const a = onlyReader(g, outputs, reshape.outputs[0]);
    const add = a === undefined ? undefined : g.node(a)!;
    if (a === undefined || add?.op !== 'add') continue;
    const bias = add.inputs[0] === reshape.outputs[0] ? add.inputs[1] : add.inputs[0];
    const init = inits.get(bias);
    const M = graph.shape(fc.outputs[0])[1];
    if (!init || init.shape.length !== 1 || init.shape[0] !== M || !sameDims(graph.shape(add.outputs[0]), graph.shape(reshape.outputs[0]))) continue;
    g.remove(a);
    g.replace(f, { ...fc, inputs: [...fc.inputs, bias] });
    g.replace(r, { ...reshape, outputs: add.outputs });
    found.push(add.name);
  }
  return found;
}

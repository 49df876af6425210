/**
 * optimizeGraph: the planner's graph passes. The generic ones live here (Identity / Dropout
 * removal, BatchNorm folding, residual-add and activation fusion into the conv / fc
 * epilogue); the recognisers of torch's export patterns (gated activations and GELU, the
 * decomposed LayerNorm, channels-last regions, layer constants, channel shuffle) live in
 * their own modules beside this one, and optimizeGraph runs them in the order that lets the
 * generic fusions take what they produce.
 */
import type { Graph, Initializer, Node } from '../graph/graph.js';
import { initializerValues, sizeOf } from '../graph/graph.js';
import { finalizeGraph } from '../graph/validate.js';
import { typed } from '../ops/attrs.js';
import type { FusedActivation } from '../ops/fused-activation.js';
import { runChannelsFirst } from './channels-first.js';
import { foldChannelScales, foldLinearBiases } from './fold-layer-constants.js';
import { recogniseGatedActivations, recogniseGelu } from './recognise-activations.js';
import { recogniseChannelShuffle } from './recognise-channel-shuffle.js';
import { recogniseLayerNorm } from './recognise-layernorm.js';
import { onlyReader, Rewriter, scalarInit, type PassContext } from './rewriter.js';

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
 * The planner's graph passes, in order: Identity and Dropout removed; BatchNormalization
 * folded into the conv before it (a chain of them folds one after another); torch's LayerNorm
 * chain recognised (recognise-layernorm.ts), channels-last regions run channels-first
 * (channels-first.ts), layer scales and Linear biases folded into their layer
 * (fold-layer-constants.ts); a residual add folded into the epilogue of the conv that computes
 * one of its operands; torch's SiLU / HardSwish / GELU patterns recognised
 * (recognise-activations.ts); ReLU / Clip / LeakyReLU / HardSigmoid / HardSwish / SiLU / GELU
 * fused into the conv or fc before it (so a ResNet block's conv + BN + add + ReLU runs as one
 * conv); the channel shuffle recognised (recognise-channel-shuffle.ts). Tensor names of graph
 * outputs are kept, so a caller's outputs do not change name. Folded weights are computed on
 * first use, not here, under names no other tensor of the graph has. Every pass is linear in
 * the number of nodes.
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
  const soleConsumer = (i: number) => onlyReader(g, outputs, g.node(i)!.outputs[0]);

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
  const ctx: PassContext = { g, graph, outputs, inits, values, freshName };
  const layerNorms = recogniseLayerNorm(ctx);
  const channelsFirst = runChannelsFirst(ctx);
  const channelScales = foldChannelScales(ctx);
  const linearBiases = foldLinearBiases(ctx);

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

  // 5. ShuffleNet's channel shuffle as torch exports it (Reshape -> Transpose -> Reshape): one channelshuffle.
  const shuffles = recogniseChannelShuffle(ctx);

  const nodes = g.nodes();
  // Initializers still read by a node, or returned as graph outputs.
  const used = new Set([...nodes.flatMap((n) => n.inputs), ...graph.outputs]);
  const keptInits = new Map([...inits].filter(([name]) => used.has(name)));
  const optimized = finalizeGraph(graph.name, graph.inputs, graph.outputs, nodes, keptInits);
  return { graph: optimized, report: { removed, foldedBatchNorms: folded, fusedResiduals: residuals, fusedActivations: fused, pointwisePatterns: pointwise, channelShuffles: shuffles, layerNorms, channelsFirst, channelScales, linearBiases } };
}

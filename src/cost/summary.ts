import { OptionError } from '../graph/errors.js';
import { sizeOf, type Graph, type Node, type Shape } from '../graph/graph.js';
import { typed } from '../ops/attrs.js';
import type { NodeCost } from '../ops/op.js';
import { opDef } from '../ops/registry.js';
import { liveness } from '../plan/liveness.js';
import { runsWinogradByDefault, winogradMultiplications } from './winograd.js';

/** MB as the lecture counts it: 1024^2 bytes. */
export const MB = 1024 * 1024;
const F32 = 4;

export type MemoryMode = 'training' | 'inference';
/** Optimizer state per parameter for training memory: value + gradient (+ momentum, + 2nd moment). */
export type Optimizer = 'sgd' | 'momentum' | 'adam';
const COPIES: Record<Optimizer, number> = { sgd: 2, momentum: 3, adam: 4 };

export interface SummaryOptions {
  /** `training` (the lecture's: 2x activations, 3x parameters) or `inference`. Default training. */
  memory?: MemoryMode;
  /** Parameter copies in training memory. Default `momentum` (the lecture's 3x). */
  optimizer?: Optimizer;
  /** One row per layer instead of one per inception module / residual block. */
  expand?: boolean;
  /** Count elementwise work (ReLU, BN, add, LRN, softmax) in FLOPs; the lecture does not. */
  elementwiseFlops?: boolean;
}

/** One row of the lecture-style table. Counts are exact integers for the whole minibatch. */
export interface CostRow {
  name: string;
  /** The row's main op (conv2d, maxpool, fc, ...) or `block` for a composite row. */
  type: string;
  /** Output channels of a conv or fc, 1 for pooling, null where the lecture leaves it blank. */
  kernels: number | null;
  /** Kernel H/W: a number when square, [h, w] otherwise. */
  kernel: number | [number, number] | null;
  stride: number | [number, number] | null;
  /** Padding: a number when equal on all sides, else [top, left, bottom, right]. */
  pad: number | number[] | null;
  outH: number;
  outW: number;
  outC: number;
  /** Output elements per image. */
  activations: number;
  params: number;
  flops: number;
  macs: number;
  /**
   * The row's multiply-accumulates as executed where its convs run by Winograd F(4x4, 3x3)
   * (the wasm backend's default for 3x3 stride-1 convs whose shape pays, src/cost/winograd.ts):
   * those convs' 36 C multiplications per 4x4 tile and output channel in place of their 9 C
   * per output, plus the other nodes' `macs`. Absent on rows without such a conv; `flops` and
   * `macs` stay the lecture's.
   */
  winogradMacs?: number;
  actMemMB: number;
  paramMemMB: number;
  /** The graph nodes of the row, in order. */
  nodes: string[];
}

export interface CostTotals {
  params: number;
  flops: number;
  macs: number;
  /** Training: sum of the rows (input excluded, as the lecture sums). Inference: the liveness peak. */
  actMemMB: number;
  paramMemMB: number;
}

export interface Summary {
  model: string;
  batch: number;
  input: number[];
  memory: MemoryMode;
  optimizer: Optimizer;
  layers: CostRow[];
  totals: CostTotals;
  /** What the runtime needs: every initializer's bytes, and the peak of live activations. */
  inference: { weightBytes: number; arenaPeakBytes: number; peakNode: string };
}

/**
 * The per-layer cost table of a graph, with the lecture's conventions (DESIGN.md):
 * params, FLOPs, activations and memory per row, for the graph's batch size.
 *
 * @example
 * const s = costTable(zoo.build('alexnet', { batch: 128 }));
 * s.totals.flops; // 290,766,...  (2.27 GFLOPs per image)
 */
export function costTable(graph: Graph, options: SummaryOptions = {}): Summary {
  const memory = options.memory ?? 'training';
  const optimizer = options.optimizer ?? 'momentum';
  if (memory !== 'training' && memory !== 'inference') throw new OptionError(`memory mode must be 'training' or 'inference', found '${memory}'`);
  if (!(optimizer in COPIES)) throw new OptionError(`optimizer must be sgd, momentum or adam, found '${optimizer}'`);
  // A model whose every tensor is a constant (ONNX lets an initializer shadow each input)
  // has no input row's worth of activations: a batch of 1 and an empty input.
  const input = graph.inputs[0];
  const batch = input?.shape[0] ?? 1;
  const perImage = (s: Shape) => (s.length && s[0] > 0 ? sizeOf(s) / s[0] : sizeOf(s));

  // Rows in order of first appearance: a layer, or its block when collapsed.
  const groups = new Map<string, Node[]>();
  for (const node of graph.nodes) {
    const key = options.expand ? node.layer : node.block ?? node.layer;
    (groups.get(key) ?? groups.set(key, []).get(key)!).push(node);
  }

  const inShape = input?.shape ?? [1, 0];
  const rows: CostRow[] = [
    {
      name: 'input', type: 'input', kernels: null, kernel: null, stride: null, pad: null,
      outH: inShape[2] ?? 1, outW: inShape[3] ?? 1, outC: inShape[1] ?? 1,
      activations: perImage(inShape), params: 0, flops: 0, macs: 0,
      actMemMB: (batch * perImage(inShape) * F32) / MB, paramMemMB: 0, nodes: [],
    },
  ];
  const counted = new Set<string>();
  for (const [name, nodes] of groups) {
    let params = 0;
    let weightBytes = 0;
    let flops = 0;
    let macs = 0;
    // Executed by Winograd: its multiplications in place of the lecture's for those convs.
    let winogradMacs = 0;
    let winogradConvs = false;
    for (const node of nodes) {
      for (const t of node.inputs) {
        const init = graph.initializers.get(t);
        if (!init || counted.has(t)) continue;
        counted.add(t);
        weightBytes += init.storedBytes ?? sizeOf(init.shape) * F32;
        if (init.trainable) params += sizeOf(init.shape);
      }
      const c = nodeCost(graph, node);
      flops += c.flops + (options.elementwiseFlops ? c.elementwiseFlops : 0);
      macs += c.macs;
      const winograd = runsWinogradByDefault(node, graph);
      winogradConvs ||= winograd;
      winogradMacs += winograd ? winogradMultiplications(node, graph) : c.macs;
    }
    const last = nodes[nodes.length - 1];
    const out = graph.shape(last.outputs[0]);
    // The row's main op: its conv, pool or fc; a flatten only when the row is nothing else.
    const main =
      nodes.find((n) => !opDef(n.op).elementwise && n.op !== 'flatten') ?? nodes.find((n) => n.op === 'flatten') ?? nodes[0];
    const composite = nodes.some((n) => n.layer !== nodes[0].layer);
    const isView = !composite && main.op === 'flatten';
    const acts = perImage(out);
    const actBytes = isView ? 0 : batch * acts * F32 * (memory === 'training' ? 2 : 1);
    const paramBytes = memory === 'training' ? params * F32 * COPIES[optimizer] : weightBytes;
    rows.push({
      name,
      type: composite ? 'block' : main.op,
      ...(composite ? { kernels: null, kernel: null, stride: null, pad: null } : geometry(graph, main)),
      outH: out.length === 4 ? out[2] : 1,
      outW: out.length === 4 ? out[3] : 1,
      outC: out[1] ?? 1,
      activations: acts,
      params,
      flops,
      macs,
      ...(winogradConvs ? { winogradMacs } : {}),
      actMemMB: actBytes / MB,
      paramMemMB: paramBytes / MB,
      nodes: nodes.map((n) => n.name),
    });
  }

  let weightBytes = 0;
  for (const init of graph.initializers.values()) weightBytes += init.storedBytes ?? sizeOf(init.shape) * F32;
  const live = liveness(graph);
  const body = rows.slice(1);
  const sum = (f: (r: CostRow) => number) => body.reduce((a, r) => a + f(r), 0);
  const totals: CostTotals = {
    params: sum((r) => r.params),
    flops: sum((r) => r.flops),
    macs: sum((r) => r.macs),
    actMemMB: memory === 'training' ? sum((r) => r.actMemMB) : live.peakBytes / MB,
    paramMemMB: sum((r) => r.paramMemMB),
  };
  return {
    model: graph.name,
    batch,
    input: [...inShape],
    memory,
    optimizer,
    layers: rows,
    totals,
    inference: { weightBytes, arenaPeakBytes: live.peakBytes, peakNode: live.peakNode },
  };
}

function nodeCost(graph: Graph, node: Node): NodeCost {
  const def = opDef(node.op);
  return def.cost(node, node.inputs.map((t) => graph.shape(t)), node.outputs.map((t) => graph.shape(t)));
}

type Geometry = Pick<CostRow, 'kernels' | 'kernel' | 'stride' | 'pad'>;

function geometry(graph: Graph, node: Node): Geometry {
  const n = typed(node);
  const pair = (p: readonly [number, number]): number | [number, number] => (p[0] === p[1] ? p[0] : [p[0], p[1]]);
  const pad = (p: readonly number[]): number | number[] => (p.every((v) => v === p[0]) ? p[0] : [...p]);
  switch (n.op) {
    case 'conv2d':
      return { kernels: graph.shape(node.inputs[1])[0], kernel: pair(n.attrs.kernel), stride: pair(n.attrs.stride), pad: pad(n.attrs.pads) };
    case 'maxpool':
    case 'avgpool':
      return { kernels: 1, kernel: pair(n.attrs.kernel), stride: pair(n.attrs.stride), pad: pad(n.attrs.pads) };
    case 'globalavgpool':
    case 'globalmaxpool': {
      const x = graph.shape(node.inputs[0]);
      return { kernels: 1, kernel: pair([x[2], x[3]]), stride: 1, pad: 0 };
    }
    case 'fc':
      return { kernels: graph.shape(node.inputs[1])[0], kernel: 1, stride: 1, pad: 0 };
    default:
      return { kernels: null, kernel: null, stride: null, pad: null };
  }
}

/**
 * The longest reduction any node of the graph computes (a conv's Cin/groups x kh x kw, a
 * gemm's K, a pooling window), from each op's own cost formula: MACs (or FLOPs / 2) per
 * output value. Float32 sums of K terms may drift from exact by about K x 2^-24 of the sum
 * of |terms|: what tolerances against a float64 reference scale with.
 */
export function longestReduction(graph: Graph): number {
  let most = 1;
  for (const node of graph.nodes) {
    const elements = sizeOf(graph.shape(node.outputs[0]));
    if (!elements) continue;
    const c = nodeCost(graph, node);
    most = Math.max(most, Math.max(c.macs, c.flops / 2) / elements);
  }
  return most;
}

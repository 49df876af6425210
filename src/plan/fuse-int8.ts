/**
 * The int8 pass: in a quantized model (onnxruntime's QDQ files, `webconv quantize`'s graphs),
 * each convolution the file computes on 8-bit integers runs as one `qconv2d` node
 * (src/ops/qconv2d.ts) on the integers, as onnxruntime's QLinearConv does, instead of a float
 * conv on dequantized weights between qdq nodes. The pattern, in an optimised graph (ReLU and
 * Clip already in the conv's epilogue):
 *
 *   x on an 8-bit grid (a qdq node's output, or a qconv2d's)
 *     -> conv2d(w: int8 weights, symmetric, per tensor or per output channel; bias: a constant)
 *     [ReLU | Clip] -> qdq (the conv's only reader)
 *
 * becomes qconv2d(x, w as integers, w's scales, bias) writing the qdq's output. The weights'
 * grid comes from Initializer.quantized and is checked against the values: a weight off its
 * grid (a pass rewrote it) leaves the conv as it is. Depthwise convs match too (onnxruntime
 * runs them as QLinearConv), and so does an fc (a quantized Gemm, onnxruntime's QGemm) with an
 * int8 weight [M, K] the same way: it becomes a 1x1 qconv2d on a 1x1 image between two
 * reshapes (views). What does not match runs in float between its qdq nodes, exactly as the
 * file says. Run by the wasm and WebGPU backends (compile option `int8`, default on) and
 * by the harness to report the graph that ran; the reference backend runs a qconv2d it is
 * given. With `int8: false`, WebGPU lowers a qconv2d back ({@link lowerInt8Convs}).
 */
import type { Graph, Initializer, Node } from '../graph/graph.js';
import { sizeOf } from '../graph/graph.js';
import { finalizeGraph } from '../graph/validate.js';
import { typed, type NodeOf } from '../ops/attrs.js';
import { onlyReader, Rewriter } from './rewriter.js';

export interface Int8Convs {
  readonly graph: Graph;
  /** The convs that run on integers (qconv2d nodes, named as the convs were). */
  readonly convs: readonly string[];
}

type Grid = { scale: number; zeroPoint: number; type: 'int8' | 'uint8' };

/**
 * The integers and per-channel scales of conv weights [M, ...] when they lie on a symmetric
 * int8 grid (per tensor, or per output channel along axis 0); undefined otherwise.
 */
export function int8Weights(init: Initializer, values: Float32Array): { q: Int8Array; scale: Float32Array } | undefined {
  const grid = init.quantized;
  const M = init.shape[0];
  if (!grid || grid.type !== 'int8' || grid.zeroPoint.some((z) => z !== 0)) return undefined;
  if (grid.scale.length !== 1 && (grid.scale.length !== M || grid.axis !== 0)) return undefined;
  const scale = grid.scale.length === 1 ? new Float32Array(M).fill(grid.scale[0]) : Float32Array.from(grid.scale);
  const per = values.length / M;
  const q = new Int8Array(values.length);
  for (let m = 0; m < M; m++) {
    for (let i = m * per; i < (m + 1) * per; i++) {
      const v = values[i] / scale[m];
      const r = Math.round(v);
      if (!(Math.abs(v - r) <= 1e-3) || r < -128 || r > 127) return undefined;
      q[i] = r;
    }
  }
  return { q, scale };
}

/** `base`, or `base.2`, `base.3`, ...: a tensor name the graph does not hold yet, taken once given. */
function freshNames(graph: Graph): (base: string) => string {
  const taken = new Set<string>([...graph.shapes.keys(), ...graph.initializers.keys(), ...graph.inputs.map((i) => i.name)]);
  return (base) => {
    let name = base;
    for (let k = 2; taken.has(name); k++) name = `${base}.${k}`;
    taken.add(name);
    return name;
  };
}

export function fuseInt8Convs(graph: Graph): Int8Convs {
  const g = new Rewriter(graph.nodes);
  const outputs = new Set(graph.outputs);
  const inits = new Map(graph.initializers);
  const grids = new Map<string, Grid>();
  const fresh = freshNames(graph);
  const convs: string[] = [];
  // Nodes to place right after another (a quantized fc's qconv2d after its input's reshape).
  const after = new Map<Node, Node>();
  for (let i = 0; i < graph.nodes.length; i++) {
    const n = g.node(i);
    if (!n) continue;
    const t = typed(n);
    if (t.op === 'qdq') {
      grids.set(t.outputs[0], t.attrs);
      continue;
    }
    if (t.op === 'fc') {
      const fused = quantizedFc(t, graph, g, outputs, grids, inits, fresh);
      if (!fused) continue;
      const [reshapeIn, conv, reshapeOut, qi] = fused;
      g.replace(i, reshapeIn);
      after.set(reshapeIn, conv);
      g.replace(qi, reshapeOut);
      grids.set(reshapeOut.outputs[0], (typed(graph.nodes[qi]) as NodeOf<'qdq'>).attrs);
      convs.push(t.name);
      continue;
    }
    if (t.op !== 'conv2d' || t.inputs.length > 3) continue;
    const act = t.attrs.activation;
    if (act && act.op !== 'relu' && act.op !== 'clip') continue;
    const [x, w, b] = t.inputs;
    const xGrid = grids.get(x);
    const wInit = inits.get(w);
    if (!xGrid || !wInit?.quantized || (b !== undefined && !inits.has(b))) continue;
    const qi = onlyReader(g, outputs, t.outputs[0]);
    const q = qi === undefined ? undefined : typed(g.node(qi)!);
    if (q?.op !== 'qdq') continue;
    const ints = int8Weights(wInit, graph.weight(w));
    if (!ints) continue;
    const [wq, ws] = addInt8Weights(inits, fresh, w, wInit, wInit.shape, ints);
    const node: Node = {
      name: t.name,
      op: 'qconv2d',
      inputs: [x, wq, ws, ...(b !== undefined ? [b] : [])],
      outputs: [q.outputs[0]],
      attrs: {
        kernel: t.attrs.kernel, stride: t.attrs.stride, pads: t.attrs.pads, dilation: t.attrs.dilation, ceilMode: t.attrs.ceilMode, groups: t.attrs.groups,
        ...(act ? { activation: act } : {}),
        xScale: xGrid.scale, xZeroPoint: xGrid.zeroPoint, xType: xGrid.type,
        yScale: q.attrs.scale, yZeroPoint: q.attrs.zeroPoint, yType: q.attrs.type,
      },
      layer: t.layer,
      ...(t.block !== undefined ? { block: t.block } : {}),
    };
    g.replace(i, node);
    g.remove(qi!);
    grids.set(q.outputs[0], q.attrs);
    convs.push(t.name);
  }
  if (!convs.length) return { graph, convs };
  const nodes = g.nodes().flatMap((n) => (after.has(n) ? [n, after.get(n)!] : [n]));
  return { graph: finalizeGraph(graph.name, graph.inputs, graph.outputs, nodes, inits), convs };
}

/** The integer weights (as floats, shaped `shape`) and their per-channel scales as two new initializers; their names. */
function addInt8Weights(
  inits: Map<string, Initializer>, fresh: (base: string) => string, w: string, wInit: Initializer, shape: readonly number[],
  ints: { q: Int8Array; scale: Float32Array },
): [string, string] {
  const wq = fresh(`${w}.int8`);
  const ws = fresh(`${w}.scale`);
  const values = ints.q;
  inits.set(wq, {
    name: wq, shape: [...shape], trainable: wInit.trainable, storedBytes: sizeOf(shape),
    derive: (into) => {
      const out = into ?? new Float32Array(values.length);
      for (let k = 0; k < values.length; k++) out[k] = values[k];
      return out;
    },
  });
  inits.set(ws, { name: ws, shape: [ints.scale.length], trainable: false, data: ints.scale });
  return [wq, ws];
}

/**
 * A quantized fc (x on a grid -> fc(int8 weights [M, K], per tensor or per output channel;
 * constant bias) [ReLU | Clip] -> qdq, its only reader) as a 1x1 qconv2d on a 1x1 image:
 * reshape x [N, K] -> [N, K, 1, 1] (a view), the qconv2d, reshape [N, M, 1, 1] -> the qdq's
 * output [N, M]. The nodes and the qdq's index; undefined when the fc does not match.
 */
function quantizedFc(
  t: NodeOf<'fc'>, graph: Graph, g: Rewriter, outputs: ReadonlySet<string>, grids: ReadonlyMap<string, Grid>,
  inits: Map<string, Initializer>, fresh: (base: string) => string,
): [Node, Node, Node, number] | undefined {
  const act = t.attrs.activation;
  if (act && act.op !== 'relu' && act.op !== 'clip') return undefined;
  const [x, w, b] = t.inputs;
  const xGrid = grids.get(x);
  const wInit = inits.get(w);
  if (!xGrid || !wInit?.quantized || (b !== undefined && !inits.has(b))) return undefined;
  const qi = onlyReader(g, outputs, t.outputs[0]);
  const q = qi === undefined ? undefined : typed(g.node(qi)!);
  if (q?.op !== 'qdq') return undefined;
  const ints = int8Weights(wInit, graph.weight(w));
  if (!ints) return undefined;
  const [M, K] = wInit.shape;
  const [wq, ws] = addInt8Weights(inits, fresh, w, wInit, [M, K, 1, 1], ints);
  const x4 = fresh(`${x}.nchw`);
  const y4 = fresh(`${q.outputs[0]}.nchw`);
  const where = { layer: t.layer, ...(t.block !== undefined ? { block: t.block } : {}) };
  const conv: Node = {
    name: t.name,
    op: 'qconv2d',
    inputs: [x4, wq, ws, ...(b !== undefined ? [b] : [])],
    outputs: [y4],
    attrs: {
      kernel: [1, 1], stride: [1, 1], pads: [0, 0, 0, 0], dilation: [1, 1], ceilMode: false, groups: 1,
      ...(act ? { activation: act } : {}),
      xScale: xGrid.scale, xZeroPoint: xGrid.zeroPoint, xType: xGrid.type,
      yScale: q.attrs.scale, yZeroPoint: q.attrs.zeroPoint, yType: q.attrs.type,
    },
    ...where,
  };
  return [
    { name: `${t.name}.nchw`, op: 'reshape', inputs: [x], outputs: [x4], attrs: { shape: [0, -1, 1, 1] }, ...where },
    conv,
    { name: `${t.name}.nc`, op: 'reshape', inputs: [y4], outputs: [q.outputs[0]], attrs: { shape: [0, -1] }, ...where },
    qi!,
  ];
}

/**
 * The inverse (WebGPU's compile option `int8: false`): each qconv2d back into a qdq
 * onto its input's grid, a float conv2d on its dequantized weights (w * wScale), and a qdq onto
 * its output grid. The same
 * graph when there is none. Results may differ from the integer kernel by one grid step where
 * a float sum lands near a rounding tie.
 */
export function lowerInt8Convs(graph: Graph): Graph {
  if (!graph.nodes.some((n) => n.op === 'qconv2d')) return graph;
  const inits = new Map(graph.initializers);
  const fresh = freshNames(graph);
  const nodes: Node[] = [];
  for (const node of graph.nodes) {
    const t = typed(node);
    if (t.op !== 'qconv2d') {
      nodes.push(node);
      continue;
    }
    const [x, w, s, b] = t.inputs;
    const a = t.attrs;
    const wf = fresh(`${w}.dequantized`);
    const wInit = inits.get(w)!;
    inits.set(wf, {
      name: wf, shape: wInit.shape, trainable: wInit.trainable,
      derive: (into) => {
        const q = graph.weight(w);
        const scale = graph.weight(s);
        const out = into ?? new Float32Array(q.length);
        const per = q.length / scale.length;
        for (let k = 0; k < q.length; k++) out[k] = q[k] * scale[Math.floor(k / per)];
        return out;
      },
    });
    const xq = fresh(`${x}.${t.name}.qdq`);
    const y = fresh(`${t.outputs[0]}.float`);
    const window = { kernel: a.kernel, stride: a.stride, pads: a.pads, dilation: a.dilation, ceilMode: a.ceilMode, groups: a.groups };
    const where = { layer: t.layer, ...(t.block !== undefined ? { block: t.block } : {}) };
    nodes.push({ name: `${t.name}.input`, op: 'qdq', inputs: [x], outputs: [xq], attrs: { scale: a.xScale, zeroPoint: a.xZeroPoint, type: a.xType }, ...where });
    nodes.push({ name: t.name, op: 'conv2d', inputs: [xq, wf, ...(b !== undefined ? [b] : [])], outputs: [y], attrs: { ...window, ...(a.activation ? { activation: a.activation } : {}) }, ...where });
    nodes.push({ name: `${t.name}.qdq`, op: 'qdq', inputs: [y], outputs: [t.outputs[0]], attrs: { scale: a.yScale, zeroPoint: a.yZeroPoint, type: a.yType }, ...where });
  }
  return finalizeGraph(graph.name, graph.inputs, graph.outputs, nodes, inits);
}

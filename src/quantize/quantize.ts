/**
 * Post-training static quantization (issue 16): a float model and a few batches of
 * calibration inputs in, a QDQ model out, which webconv runs (in float, each quantized
 * activation a `qdq` node, the weights their dequantized values) and `exportOnnx(graph,
 * { quantized })` writes as onnxruntime's quantizer does (QDQ format: int8 weights and int32
 * biases behind a DequantizeLinear, QuantizeLinear -> DequantizeLinear on activations).
 *
 * What is quantized, kept simple:
 * - activations (8-bit, asymmetric, one scale and zero point per tensor): the graph input, and
 *   the output of every node except reshape / flatten / identity / dropout / qdq; a tensor
 *   read only by reshapes / flattens is quantized after them instead (the same values, and
 *   the DequantizeLinear then sits right before the op reading it). Graph outputs are not
 *   quantized (the logits stay float).
 * - weights of conv2d / fc / gemm (constant B): int8, symmetric, per output channel (axis 0;
 *   a gemm's B without transB: axis 1) or per tensor; scale = max|w| / 127 (1 for an all-zero
 *   channel), values rounded half to even and clamped to [-127, 127].
 * - their biases, when the node's input is quantized: int32, scale = input scale * weight
 *   scale (per channel), zero point 0, as onnxruntime does.
 * The graph is optimized first (optimizeGraph: batch norm folded, activations fused into
 * conv / fc), so the scales are those of the tensors the model computes.
 */
import type { Backend } from '../backends/backend.js';
import { backendNames, getBackend } from '../backends/registry.js';
import { referenceBackend } from '../backends/reference/reference-backend.js';
import { InputError, OptionError } from '../graph/errors.js';
import { sizeOf, type Graph, type Initializer, type Node, type QuantGrid } from '../graph/graph.js';
import { finalizeGraph } from '../graph/validate.js';
import { QDQ_RANGE, roundHalfEven } from '../ops/activation.js';
import { optimizeGraph } from '../plan/passes.js';

export interface QuantizeOptions {
  /** Activation ranges: the min and max seen ('minmax', default), or the `percentile` and 100 - `percentile` percentiles of the values. */
  method?: 'minmax' | 'percentile';
  /** Percentile for method 'percentile' (default 99.99). */
  percentile?: number;
  /** Activation type (default uint8); weights are always int8. */
  activationType?: 'uint8' | 'int8';
  /** Weights per output channel (default true) or per tensor. */
  perChannel?: boolean;
  /** Backend running the calibration (default wasm when registered and available, else reference). */
  backend?: Backend;
}

/** An initializer stored as integers: float value = (q - 0) * scale[channel]. */
export interface QuantizedInitializer {
  readonly type: 'int8' | 'int32';
  readonly shape: readonly number[];
  readonly values: Int8Array | Int32Array;
  /** One scale per tensor, or one per index along `axis`. */
  readonly scale: Float32Array;
  /** The axis the scales run along, when there is more than one. */
  readonly axis?: number;
}

/** Bytes of an integer initializer as the file holds it: its values, a float32 scale and a zero point per scale (int8 only, as exportOnnx writes them). */
function storedBytes(q: QuantizedInitializer): number {
  return q.values.byteLength + q.scale.length * (q.type === 'int8' ? 5 : 4);
}

/** The grid of an integer initializer as the float graph carries it (Initializer.quantized): symmetric, zero points 0. */
const grid = (q: QuantizedInitializer): QuantGrid => ({ type: q.type, scale: q.scale, zeroPoint: new Float64Array(q.scale.length), axis: q.axis ?? 0 });

export interface QuantizedModel {
  /** The float graph webconv runs: dequantized weights, a qdq node after each quantized activation. */
  readonly graph: Graph;
  /** The integer form of the quantized initializers, by name (what exportOnnx writes). */
  readonly initializers: ReadonlyMap<string, QuantizedInitializer>;
  /** Quantized activation tensors (names in the optimized float graph) and their parameters. */
  readonly activations: ReadonlyMap<string, { scale: number; zeroPoint: number; type: 'uint8' | 'int8' }>;
  readonly weights: readonly string[];
  readonly biases: readonly string[];
}

/** Ops whose output is not quantized (value-preserving moves, no-ops, qdq itself). */
const PASS_THROUGH = new Set(['reshape', 'flatten', 'identity', 'dropout', 'qdq']);

/** Scale and zero point of an 8-bit asymmetric grid holding [min, max] (both widened to include 0), as onnxruntime computes them. */
export function activationParams(min: number, max: number, type: 'uint8' | 'int8'): { scale: number; zeroPoint: number } {
  const [qmin, qmax] = QDQ_RANGE[type];
  const lo = Math.min(min, 0);
  const hi = Math.max(max, 0);
  // As onnxruntime's compute_scale_zp: the range in float32, the scale and zero point from it in
  // float64, then the scale rounded to float32.
  const scale64 = Math.fround(Math.fround(hi) - Math.fround(lo)) / (qmax - qmin);
  if (!(scale64 >= 1.1754943508222875e-38) || !Number.isFinite(scale64)) return { scale: 1, zeroPoint: 0 };
  const scale = Math.fround(scale64);
  const zp = roundHalfEven(qmin - lo / scale64);
  return { scale, zeroPoint: Math.min(qmax, Math.max(qmin, zp)) + 0 }; // + 0: no -0
}

/**
 * Quantizes a single-input float model after calibrating its activations on `calibration`
 * (each array one batch of the graph's input). Throws InputError for calibration batches of
 * the wrong size, OptionError for bad options.
 */
export async function quantizeModel(graph: Graph, calibration: readonly Float32Array[], options: QuantizeOptions = {}): Promise<QuantizedModel> {
  const method = options.method ?? 'minmax';
  const percentile = options.percentile ?? 99.99;
  const type = options.activationType ?? 'uint8';
  const perChannel = options.perChannel ?? true;
  if (method !== 'minmax' && method !== 'percentile') throw new OptionError(`unknown calibration method '${String(method)}'; expected minmax or percentile`);
  if (!(percentile > 50 && percentile <= 100)) throw new OptionError(`percentile must be in (50, 100], found ${percentile}`);
  if (type !== 'uint8' && type !== 'int8') throw new OptionError(`activation type must be uint8 or int8, found '${String(type)}'`);
  if (graph.inputs.length !== 1) throw new InputError(`quantization needs a model with one input; '${graph.name}' has ${graph.inputs.length}`);
  if (calibration.length === 0) throw new InputError('no calibration data');
  const inputSize = sizeOf(graph.inputs[0].shape);
  calibration.forEach((b, i) => {
    if (b.length !== inputSize) throw new InputError(`calibration batch ${i} has ${b.length} values; the input [${graph.inputs[0].shape.join(', ')}] holds ${inputSize}`);
  });

  const g = optimizeGraph(graph).graph;
  const outputs = new Set(g.outputs);
  const readers = new Map<string, Node[]>();
  for (const n of g.nodes) for (const t of n.inputs) readers.set(t, [...(readers.get(t) ?? []), n]);

  // The activations to quantize, in graph order.
  const quantized: string[] = [];
  const consider = (t: string) => {
    const r = readers.get(t) ?? [];
    if (outputs.has(t) || r.length === 0 || g.initializers.has(t)) return;
    if (r.every((n) => n.op === 'reshape' || n.op === 'flatten')) for (const n of r) consider(n.outputs[0]);
    else if (!quantized.includes(t)) quantized.push(t);
  };
  consider(g.inputs[0].name);
  for (const n of g.nodes) if (!PASS_THROUGH.has(n.op)) for (const t of n.outputs) consider(t);

  // Calibration: the graph with every quantized tensor as an extra output.
  const calib = finalizeGraph(g.name, g.inputs, [...g.outputs, ...quantized.filter((t) => !outputs.has(t))], g.nodes, g.initializers);
  const backend = options.backend ?? (await calibrationBackend());
  const exe = await backend.compile(calib);
  const stats = quantized.map(() => ({ min: Infinity, max: -Infinity, samples: [] as Float32Array[] }));
  // Percentile: at most ~2^22 values kept per tensor (an even stride through all of them).
  const stride = quantized.map((t) => Math.max(1, Math.ceil((sizeOf(g.shape(t)) * calibration.length) / 2 ** 22)));
  try {
    for (const batch of calibration) {
      const y = await exe.run(batch);
      quantized.forEach((t, k) => {
        const v = y[t].data;
        const s = stats[k];
        for (let i = 0; i < v.length; i++) {
          if (v[i] < s.min) s.min = v[i];
          if (v[i] > s.max) s.max = v[i];
        }
        if (method === 'percentile') {
          const kept = new Float32Array(Math.ceil(v.length / stride[k]));
          for (let i = 0, j = 0; i < v.length; i += stride[k]) kept[j++] = v[i];
          s.samples.push(kept);
        }
      });
    }
  } finally {
    exe.dispose();
  }
  const activations = new Map<string, { scale: number; zeroPoint: number; type: 'uint8' | 'int8' }>();
  quantized.forEach((t, k) => {
    let { min, max } = stats[k];
    if (method === 'percentile') {
      const all = new Float32Array(stats[k].samples.reduce((a, s) => a + s.length, 0));
      let o = 0;
      for (const s of stats[k].samples) all.set(s, (o += s.length) - s.length);
      all.sort();
      const at = (p: number) => all[Math.min(all.length - 1, Math.max(0, Math.round((p / 100) * (all.length - 1))))];
      [min, max] = [at(100 - percentile), at(percentile)];
    }
    activations.set(t, { ...activationParams(min, max, type), type });
  });

  // Weights and biases.
  const inits = new Map<string, Initializer>(g.initializers);
  const integer = new Map<string, QuantizedInitializer>();
  const weights: string[] = [];
  const biases: string[] = [];
  const reads = (t: string) => (readers.get(t) ?? []).length + (outputs.has(t) ? 1 : 0);
  for (const n of g.nodes) {
    if (n.op !== 'conv2d' && n.op !== 'fc' && n.op !== 'gemm') continue;
    const [x, w, b] = n.inputs;
    const wInit = g.initializers.get(w);
    if (!wInit || g.initializers.has(x)) continue;
    const gemm = n.attrs as { transB?: boolean; alpha?: number; beta?: number };
    const axis = n.op === 'gemm' && !gemm.transB ? 1 : 0;
    let wq = integer.get(w);
    if (!wq) {
      wq = quantizeWeight(g.weight(w), wInit.shape, perChannel ? axis : undefined);
      integer.set(w, wq);
      inits.set(w, { name: w, shape: wInit.shape, trainable: wInit.trainable, data: dequantize(wq), storedBytes: storedBytes(wq), quantized: grid(wq) });
      weights.push(w);
    }
    const channels = wInit.shape[axis];
    const xq = activations.get(x);
    const bInit = b === undefined ? undefined : g.initializers.get(b);
    const plainGemm = n.op !== 'gemm' || (gemm.alpha === 1 && gemm.beta === 1);
    if (!xq || !bInit || integer.has(b) || reads(b) !== 1 || !plainGemm || bInit.shape.length !== 1 || bInit.shape[0] !== channels) continue;
    const bq = quantizeBias(g.weight(b), xq.scale, wq.scale, channels);
    integer.set(b, bq);
    inits.set(b, { name: b, shape: bInit.shape, trainable: bInit.trainable, data: dequantize(bq), storedBytes: storedBytes(bq), quantized: grid(bq) });
    biases.push(b);
  }

  // A qdq node after each quantized activation; its readers read the qdq's output.
  const taken = new Set<string>([g.inputs[0].name, ...inits.keys(), ...g.nodes.flatMap((n) => n.outputs)]);
  const fresh = (base: string) => {
    let name = base;
    for (let k = 2; taken.has(name); k++) name = `${base}_${k}`;
    taken.add(name);
    return name;
  };
  const renamed = new Map(quantized.map((t) => [t, fresh(`${t}_dq`)]));
  const qdqNode = (t: string, layer: string): Node => {
    const a = activations.get(t)!;
    return { name: fresh(`${t}_qdq`), op: 'qdq', inputs: [t], outputs: [renamed.get(t)!], attrs: { scale: a.scale, zeroPoint: a.zeroPoint, type: a.type }, layer };
  };
  const nodes: Node[] = [];
  if (renamed.has(g.inputs[0].name)) nodes.push(qdqNode(g.inputs[0].name, g.nodes[0]?.layer ?? 'input'));
  for (const n of g.nodes) {
    nodes.push({ ...n, inputs: n.inputs.map((t) => renamed.get(t) ?? t) });
    for (const t of n.outputs) if (renamed.has(t)) nodes.push(qdqNode(t, n.layer));
  }
  const out = finalizeGraph(g.name, g.inputs, g.outputs, nodes, inits);
  return { graph: out, initializers: integer, activations, weights, biases };
}

/** wasm when it is registered and runs here, else the reference backend. */
async function calibrationBackend(): Promise<Backend> {
  if (backendNames().includes('wasm')) {
    const wasm = getBackend('wasm');
    if (await wasm.isAvailable()) return wasm;
  }
  return referenceBackend;
}

/** Symmetric int8 weights, per index along `axis` or (axis undefined) per tensor. */
export function quantizeWeight(w: Float32Array, shape: readonly number[], axis?: number): QuantizedInitializer {
  const channels = axis === undefined ? 1 : shape[axis];
  const inner = axis === undefined ? w.length : shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const ch = (i: number) => (axis === undefined ? 0 : Math.floor(i / inner) % channels);
  const maxAbs = new Float64Array(channels);
  for (let i = 0; i < w.length; i++) maxAbs[ch(i)] = Math.max(maxAbs[ch(i)], Math.abs(w[i]));
  const scale = Float32Array.from(maxAbs, (m) => (m > 0 && Math.fround(m / 127) > 0 ? m / 127 : 1));
  const values = new Int8Array(w.length);
  for (let i = 0; i < w.length; i++) values[i] = Math.max(-127, Math.min(127, roundHalfEven(Math.fround(w[i] / scale[ch(i)]))));
  return { type: 'int8', shape, values, scale, ...(axis === undefined ? {} : { axis }) };
}

/** int32 biases, scale = input scale * weight scale (per channel when the weights are). */
function quantizeBias(b: Float32Array, inputScale: number, wScale: Float32Array, channels: number): QuantizedInitializer {
  const scale = Float32Array.from(wScale, (s) => Math.fround(inputScale * s) || 1);
  const values = new Int32Array(channels);
  for (let c = 0; c < channels; c++) values[c] = Math.max(-(2 ** 31) + 1, Math.min(2 ** 31 - 1, roundHalfEven(b[c] / scale[scale.length === 1 ? 0 : c])));
  return { type: 'int32', shape: [channels], values, scale, ...(scale.length === 1 ? {} : { axis: 0 }) };
}

/** The float values an integer initializer stands for (rounded to float32, as DequantizeLinear computes them). */
export function dequantize(q: QuantizedInitializer): Float32Array {
  const channels = q.scale.length;
  const inner = q.axis === undefined ? q.values.length : q.shape.slice(q.axis + 1).reduce((a, b) => a * b, 1);
  const out = new Float32Array(q.values.length);
  for (let i = 0; i < out.length; i++) out[i] = q.values[i] * q.scale[channels === 1 ? 0 : Math.floor(i / inner) % channels];
  return out;
}

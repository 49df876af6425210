import { GraphError } from '../graph/errors.js';
import type { Graph, Node } from '../graph/graph.js';
import { typed } from '../ops/attrs.js';
import { fusedActivation, type FusedActivation } from '../ops/fused-activation.js';
import type { WindowAttrs } from '../ops/window.js';
import type { QuantizedInitializer } from '../quantize/quantize.js';
import { AttributeType, DataType, onnxTypes } from './schema.js';

/** Opset of the exported models. */
export const EXPORT_OPSET = 13;

type Attr = { name: string; type: number; i?: number; f?: number; ints?: number[] };
interface OnnxNode {
  input: string[];
  output: string[];
  name: string;
  op_type: string;
  attribute: Attr[];
}

const ints = (name: string, v: readonly number[]): Attr => ({ name, type: AttributeType.INTS, ints: [...v] });
const int = (name: string, v: number): Attr => ({ name, type: AttributeType.INT, i: v });
const float = (name: string, v: number): Attr => ({ name, type: AttributeType.FLOAT, f: v });

export interface ExportOptions {
  /**
   * Initializers to write as integers (quantizeModel's `initializers`): each as an int8 / int32
   * initializer `<name>_quantized`, its scale `<name>_scale` (and int8 zero point
   * `<name>_zero_point`) and a DequantizeLinear giving `<name>`, what the graph's nodes read.
   */
  quantized?: ReadonlyMap<string, QuantizedInitializer>;
  /** Write the first axis of the inputs and outputs as a symbolic batch ('N') instead of the graph's batch. */
  dynamicBatch?: boolean;
}

/**
 * Writes a graph as an ONNX model (opset 13, weights as float32 initializers), so other
 * runtimes (onnxruntime, ...) can run exactly the model webconv runs, weights included:
 * the benchmark runs peers on it, and tests use onnxruntime as an outside oracle.
 * With `options.quantized`, those weights are written as onnxruntime's QDQ files hold them.
 */
export function exportOnnx(graph: Graph, options: ExportOptions = {}): Uint8Array {
  const nodes: OnnxNode[] = [];
  const initializers: object[] = [];
  const bytes = (data: Float32Array | Int8Array | Int32Array) => new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  const tensor = (name: string, dims: readonly number[], data: Float32Array) => {
    initializers.push({ name, dims: [...dims], data_type: DataType.FLOAT, raw_data: bytes(data) });
  };
  const batch = options.dynamicBatch ? graph.inputs[0]?.shape[0] : undefined;
  const int64 = (name: string, values: readonly number[]) => {
    initializers.push({ name, dims: [values.length], data_type: DataType.INT64, int64_data: [...values] });
  };
  // Weights read by a node or returned as graph outputs (quantized ones as integers behind a DequantizeLinear).
  for (const name of new Set([...graph.nodes.flatMap((n) => n.inputs), ...graph.outputs])) {
    const init = graph.initializers.get(name);
    const q = options.quantized?.get(name);
    if (init && q) {
      const perAxis = q.axis !== undefined;
      const dims = perAxis ? [q.scale.length] : [];
      initializers.push({ name: `${name}_quantized`, dims: [...q.shape], data_type: q.type === 'int8' ? DataType.INT8 : DataType.INT32, raw_data: bytes(q.values) });
      initializers.push({ name: `${name}_scale`, dims, data_type: DataType.FLOAT, raw_data: bytes(q.scale) });
      const input = [`${name}_quantized`, `${name}_scale`];
      if (q.type === 'int8') {
        initializers.push({ name: `${name}_zero_point`, dims, data_type: DataType.INT8, raw_data: new Uint8Array(q.scale.length) });
        input.push(`${name}_zero_point`);
      }
      nodes.push({ name: `${name}_DequantizeLinear`, op_type: 'DequantizeLinear', input, output: [name], attribute: perAxis ? [int('axis', q.axis!)] : [] });
    } else if (init) tensor(name, init.shape, graph.weight(name));
  }
  const scalar = (name: string, value: number) => {
    initializers.push({ name, dims: [], data_type: DataType.FLOAT, float_data: [value] });
  };
  const zeroPoint = (name: string, value: number, type: 'int8' | 'uint8') => {
    initializers.push({ name, dims: [], data_type: type === 'int8' ? DataType.INT8 : DataType.UINT8, raw_data: Uint8Array.of(value & 255) });
  };
  const emit = (n: OnnxNode) => nodes.push(n);
  for (const node of graph.nodes) exportNode(node, graph, emit, int64, scalar, zeroPoint, batch);
  const valueInfo = (name: string) => ({
    name,
    type: { tensor_type: { elem_type: DataType.FLOAT, shape: { dim: graph.shape(name).map((d, axis) => (axis === 0 && batch !== undefined ? { dim_param: 'N' } : { dim_value: d })) } } },
  });
  const model = {
    ir_version: 7,
    producer_name: 'webconv',
    opset_import: [{ domain: '', version: EXPORT_OPSET }],
    graph: {
      name: graph.name,
      node: nodes,
      initializer: initializers,
      input: graph.inputs.map((i) => valueInfo(i.name)),
      output: graph.outputs.map(valueInfo),
    },
  };
  const message = onnxTypes.ModelProto.fromObject(model);
  return onnxTypes.ModelProto.encode(message).finish();
}

function exportNode(
  node: Node,
  graph: Graph,
  emit: (n: OnnxNode) => void,
  int64: (name: string, v: readonly number[]) => void,
  scalar: (name: string, v: number) => void,
  zeroPoint: (name: string, v: number, type: 'int8' | 'uint8') => void,
  batch?: number,
): void {
  const n = typed(node);
  const out = node.outputs[0];
  const one = (op_type: string, attribute: Attr[] = [], input = [...node.inputs], output = out) =>
    emit({ name: `${node.name}/${op_type}`, op_type, input, output: [output], attribute });
  const window = (a: WindowAttrs, withDilation: boolean): Attr[] => [
    ints('kernel_shape', a.kernel), ints('strides', a.stride), ints('pads', a.pads),
    ...(withDilation ? [ints('dilations', a.dilation)] : []),
  ];
  switch (n.op) {
    case 'conv2d': {
      const act = fusedActivation(node);
      const residual = node.inputs[3];
      let t = residual || act ? `${out}/conv` : out;
      one('Conv', [...window(n.attrs, true), int('group', n.attrs.groups)], node.inputs.slice(0, 3), t);
      if (residual) {
        const next = act ? `${out}/add` : out;
        one('Add', [], [t, residual], next);
        t = next;
      }
      if (act?.op === 'relu') one('Relu', [], [t]);
      else if (act?.op === 'leakyrelu') one('LeakyRelu', [float('alpha', act.alpha)], [t]);
      else if (act?.op === 'clip') clipNode(node, t, out, act.min, act.max, emit);
      else if (act) activationNodes(node, act, t, out, emit);
      return;
    }
    case 'fc': {
      const act = fusedActivation(node);
      one('Gemm', [int('transB', 1)], [...node.inputs], act ? `${out}/gemm` : out);
      if (act) {
        if (act.op === 'relu') one('Relu', [], [`${out}/gemm`]);
        else if (act.op === 'leakyrelu') one('LeakyRelu', [float('alpha', act.alpha)], [`${out}/gemm`]);
        else if (act.op === 'clip') clipNode(node, `${out}/gemm`, out, act.min, act.max, emit);
        else activationNodes(node, act, `${out}/gemm`, out, emit);
      }
      return;
    }
    case 'maxpool':
      return one('MaxPool', [...window(n.attrs, true), int('ceil_mode', n.attrs.ceilMode ? 1 : 0)]);
    case 'avgpool':
      return one('AveragePool', [...window(n.attrs, false), int('ceil_mode', n.attrs.ceilMode ? 1 : 0), int('count_include_pad', n.attrs.countIncludePad ? 1 : 0)]);
    case 'globalavgpool':
      return one('GlobalAveragePool');
    case 'qdq': {
      // The pair onnxruntime's quantizer writes: QuantizeLinear -> DequantizeLinear, one scale and zero point.
      scalar(`${node.name}/scale`, n.attrs.scale);
      zeroPoint(`${node.name}/zero_point`, n.attrs.zeroPoint, n.attrs.type);
      const params = [`${node.name}/scale`, `${node.name}/zero_point`];
      one('QuantizeLinear', [], [node.inputs[0], ...params], `${out}/quantized`);
      return one('DequantizeLinear', [], [`${out}/quantized`, ...params]);
    }
    case 'globalmaxpool':
      return one('GlobalMaxPool');
    case 'gemm':
      return one('Gemm', [float('alpha', n.attrs.alpha), float('beta', n.attrs.beta), int('transA', n.attrs.transA ? 1 : 0), int('transB', n.attrs.transB ? 1 : 0)]);
    case 'flatten':
      return one('Flatten', [int('axis', n.attrs.axis)]);
    case 'reshape': {
      // With a symbolic batch, a reshape keeping the batch axis copies it (0: the input's size).
      const shape = graph.shape(out);
      const keepsBatch = batch !== undefined && shape[0] === batch && graph.shape(node.inputs[0])[0] === batch;
      if (batch !== undefined && !keepsBatch) throw new GraphError(`node '${node.name}': a reshape across the batch axis has no export with a symbolic batch`);
      int64(`${node.name}/shape`, keepsBatch ? [0, ...shape.slice(1)] : shape);
      return one('Reshape', [], [node.inputs[0], `${node.name}/shape`]);
    }
    case 'pad':
      int64(`${node.name}/pads`, n.attrs.pads);
      if (Object.is(n.attrs.value, 0)) return one('Pad', [], [node.inputs[0], `${node.name}/pads`]);
      scalar(`${node.name}/value`, n.attrs.value);
      return one('Pad', [], [node.inputs[0], `${node.name}/pads`, `${node.name}/value`]);
    case 'relu':
      return one('Relu');
    case 'clip':
      return clipNode(node, node.inputs[0], out, n.attrs.min, n.attrs.max, emit);
    case 'leakyrelu':
      return one('LeakyRelu', [float('alpha', n.attrs.alpha)]);
    case 'tanh':
      return one('Tanh');
    case 'sigmoid':
      return one('Sigmoid');
    case 'lrn':
      return one('LRN', [int('size', n.attrs.size), float('alpha', n.attrs.alpha), float('beta', n.attrs.beta), float('bias', n.attrs.bias)]);
    case 'batchnorm':
      return one('BatchNormalization', [float('epsilon', n.attrs.epsilon)]);
    case 'add':
      return one('Add');
    case 'mul':
      return one('Mul');
    case 'concat':
      return one('Concat', [int('axis', n.attrs.axis)]);
    case 'softmax': {
      const rank = graph.shape(node.inputs[0]).length;
      const { axis } = n.attrs;
      if (n.attrs.coerce2d && axis !== rank - 1) throw new GraphError(`node '${node.name}': a 2-D-coerced softmax on axis ${axis} of a rank-${rank} tensor has no opset-13 export`);
      return one('Softmax', [int('axis', axis)]);
    }
    case 'dropout':
    case 'identity':
      return one('Identity');
    case 'hardsigmoid':
      return activationNodes(node, { op: 'hardsigmoid', ...n.attrs }, node.inputs[0], out, emit);
    case 'hardswish':
    case 'silu':
    case 'gelu':
      return activationNodes(node, { op: n.op }, node.inputs[0], out, emit);
    case 'erf':
      return one('Erf');
    case 'sqrt':
      return one('Sqrt');
    case 'sub':
      return one('Sub');
    case 'div':
      return one('Div');
    case 'pow':
      return one('Pow');
    case 'transpose':
      return one('Transpose', [ints('perm', n.attrs.perm)]);
    case 'slice':
      for (const k of ['starts', 'ends', 'axes', 'steps'] as const) int64(`${node.name}/${k}`, n.attrs[k]);
      return one('Slice', [], [node.inputs[0], ...['starts', 'ends', 'axes', 'steps'].map((k) => `${node.name}/${k}`)]);
    case 'channelshuffle': {
      // As torch writes it (recognised again by the graph passes): reshape, transpose, reshape.
      const x = graph.shape(node.inputs[0]);
      const g = n.attrs.groups;
      const n0 = batch !== undefined ? 0 : x[0]; // a symbolic batch: copied from the input
      int64(`${node.name}/split_shape`, [n0, g, x[1] / g, ...x.slice(2)]);
      int64(`${node.name}/shape`, [n0, ...x.slice(1)]);
      emit({ name: `${node.name}/Reshape_split`, op_type: 'Reshape', input: [node.inputs[0], `${node.name}/split_shape`], output: [`${out}/split`], attribute: [] });
      one('Transpose', [ints('perm', [0, 2, 1, ...x.slice(2).map((_, d) => d + 3)])], [`${out}/split`], `${out}/transposed`);
      return one('Reshape', [], [`${out}/transposed`, `${node.name}/shape`]);
    }
    default:
      throw new GraphError(`node '${node.name}': no ONNX export for op '${node.op}'`);
  }
}

/** hardsigmoid, hardswish, silu and gelu (fused or not) as opset-13 ONNX: HardSwish is opset 14, so hardswish, silu and gelu are written as torch writes them, x * HardSigmoid(x), x * Sigmoid(x) and the Erf chain. */
function activationNodes(node: Node, act: FusedActivation, input: string, out: string, emit: (n: OnnxNode) => void): void {
  if (act.op === 'hardsigmoid') {
    emit({ name: `${node.name}/HardSigmoid`, op_type: 'HardSigmoid', input: [input], output: [out], attribute: [float('alpha', act.alpha), float('beta', act.beta)] });
    return;
  }
  if (act.op === 'gelu') {
    // torch's opset-13 GELU: x * (1 + erf(x / sqrt 2)) * 0.5 (recognised again on import).
    const k = (s: string) => `${out}/gelu/${s}`;
    const constants: [string, number][] = [[k('sqrt2'), Math.SQRT2], [k('one'), 1], [k('half'), 0.5]];
    for (const [name, v] of constants) emit({ name: `${name}/Constant`, op_type: 'Constant', input: [], output: [name], attribute: [scalar(v)] });
    emit({ name: k('Div'), op_type: 'Div', input: [input, k('sqrt2')], output: [k('div')], attribute: [] });
    emit({ name: k('Erf'), op_type: 'Erf', input: [k('div')], output: [k('erf')], attribute: [] });
    emit({ name: k('Add'), op_type: 'Add', input: [k('erf'), k('one')], output: [k('add')], attribute: [] });
    emit({ name: k('Mul'), op_type: 'Mul', input: [input, k('add')], output: [k('mul')], attribute: [] });
    emit({ name: k('Mul_1'), op_type: 'Mul', input: [k('mul'), k('half')], output: [out], attribute: [] });
    return;
  }
  if (act.op !== 'hardswish' && act.op !== 'silu') throw new GraphError(`node '${node.name}': no ONNX export for activation '${act.op}'`);
  const gate = `${out}/${act.op === 'silu' ? 'sigmoid' : 'hardsigmoid'}`;
  if (act.op === 'silu') emit({ name: `${node.name}/Sigmoid`, op_type: 'Sigmoid', input: [input], output: [gate], attribute: [] });
  else emit({ name: `${node.name}/HardSigmoid`, op_type: 'HardSigmoid', input: [input], output: [gate], attribute: [float('alpha', 1 / 6), float('beta', 0.5)] });
  emit({ name: `${node.name}/Mul`, op_type: 'Mul', input: [input, gate], output: [out], attribute: [] });
}

/** Clip takes min and max as inputs from opset 11 on. */
function clipNode(node: Node, input: string, out: string, min: number, max: number, emit: (n: OnnxNode) => void): void {
  const bounds = [`${node.name}/min`, `${node.name}/max`];
  emit({ name: `${bounds[0]}/Constant`, op_type: 'Constant', input: [], output: [bounds[0]], attribute: [scalar(min)] });
  emit({ name: `${bounds[1]}/Constant`, op_type: 'Constant', input: [], output: [bounds[1]], attribute: [scalar(max)] });
  emit({ name: `${node.name}/Clip`, op_type: 'Clip', input: [input, ...bounds], output: [out], attribute: [] });
}

function scalar(v: number): Attr & { t: object } {
  const data = new Float32Array([v]);
  return { name: 'value', type: AttributeType.TENSOR, t: { dims: [], data_type: DataType.FLOAT, raw_data: new Uint8Array(data.buffer) } };
}

/**
 * The QOperator form of quantized models, which onnxruntime's quantizer writes with
 * `quantize_static(..., quant_format=QuantFormat.QOperator)`: a QuantizeLinear at the input,
 * then ops on 8-bit tensors (QLinearConv, com.microsoft's QLinearAdd,
 * QLinearGlobalAveragePool and QGemm, QLinearMatMul; MaxPool, Flatten, Reshape on the
 * integers directly), and a DequantizeLinear at the end.
 *
 * The IR computes in float only, so an 8-bit tensor is represented by its dequantized value:
 * an IR float tensor on its grid, the output of a `qdq` node (ImportContext.eightBit). Each
 * QLinear op becomes its float op on those values, with weights and biases folded to float as
 * DequantizeLinear of a constant folds them (./quantize.ts), followed by a qdq onto the
 * output's grid: the graph the QDQ form of the same model imports to, which the int8 pass
 * (src/plan/fuse-int8.ts) runs on integers where it can.
 */
import { nodeLabel } from '../attributes.js';
import { DataType, dataTypeName } from '../schema.js';
import { Step, spec, type ActivationGrid, type OpHandler } from '../step.js';
import type { ConstTensor } from '../tensor-proto.js';
import { convAttrs, nchwInput } from './conv-pool.js';
import { transpose2d } from './gemm.js';
import { dequantizeConst, GRID_PRESERVING, params, sameGrid, TYPES, type Params } from './quantize.js';

/**
 * The IR float tensor of the 8-bit tensor at input `i`, its scale and zero point at inputs
 * i + 1 and i + 2; undefined when the node is marked unsupported.
 */
function eightBitInput(s: Step, i: number): string | undefined {
  const q = s.im.eightBit.get(s.input(i));
  if (!q) {
    s.unsupported(`${s.msg.op_type} of a tensor that no QuantizeLinear or QLinear op computes`);
    return undefined;
  }
  return sameGrid(s, q.grid, i + 1) ? q.tensor : undefined;
}

/**
 * An operand of QLinearAdd (input i): an 8-bit tensor, or a constant one folded to float, and
 * its 8-bit type; undefined when unsupported.
 */
function operand(s: Step, i: number): { tensor: string; type: 'int8' | 'uint8' } | undefined {
  if (!s.isConst(i)) {
    const tensor = eightBitInput(s, i);
    return tensor === undefined ? undefined : { tensor, type: s.im.eightBit.get(s.input(i))!.grid.type };
  }
  const c = s.konst(i);
  const p = params(s, c.shape.length, i + 1, 0);
  if (!TYPES[c.dtype]) return s.invalid(`input ${i} '${s.input(i)}' is ${dataTypeName(c.dtype)}; ${s.msg.op_type} takes int8 or uint8 operands`);
  if (s.has(i + 2) && p.dtype !== c.dtype) return s.invalid(`input ${i} '${s.input(i)}' is ${dataTypeName(c.dtype)} and its zero point ${dataTypeName(p.dtype)}; they must be the same type`);
  if (p.scale.length !== 1) {
    s.unsupported(`${s.msg.op_type} of a constant quantized per axis`);
    return undefined;
  }
  const name = s.im.freshTensorName(`${s.input(i)}.dequantized`);
  s.im.consts.set(name, dequantizeConst(c, p, s.has(i + 2)));
  return { tensor: name, type: TYPES[c.dtype]! };
}

/**
 * The grid of the output, its scale and zero point at inputs `at` and at + 1; without a zero
 * point, of type `typeOf` (an op's output type when it is its input's); undefined when unsupported.
 */
function outputGrid(s: Step, at: number, typeOf?: 'int8' | 'uint8'): ActivationGrid | undefined {
  const p = params(s, 1, at, 0);
  const type = s.has(at + 1) ? TYPES[p.dtype] : typeOf ?? 'uint8';
  if (p.scale.length !== 1 || !type) {
    s.unsupported(`${s.msg.op_type} to ${p.scale.length !== 1 ? 'a per-axis grid' : dataTypeName(p.dtype)}`);
    return undefined;
  }
  return { scale: p.scale[0], zeroPoint: p.zeroPoint[0], type };
}

/**
 * Output 0 is `op` of `inputs` rounded onto `grid`: the float op, then a qdq node. The qdq's
 * output, named as the ONNX output, is the 8-bit tensor's float form.
 */
function requantized(s: Step, op: 'conv2d' | 'add' | 'globalavgpool' | 'fc', inputs: readonly string[], attrs: Record<string, unknown>, grid: ActivationGrid): void {
  const out = s.msg.output[0];
  const label = nodeLabel(s.msg);
  const y = s.im.freshTensorName(`${out}.float`);
  s.im.addNode(label, op, inputs, y, attrs, [], s.where);
  s.im.addNode(`${label}.qdq`, 'qdq', [y], out, { ...grid }, [], s.where);
  s.im.eightBit.set(out, { tensor: out, grid });
}

/**
 * The float weight of a QLinear op: constant input `at`, int8 or uint8, its scale and zero
 * point at inputs at + 1 and at + 2 (per tensor, or along `axis`), dequantized under a fresh
 * name; undefined when unsupported.
 */
function weight(s: Step, at: number, axis: number): { c: ConstTensor; p: Params } | undefined {
  if (!s.isConst(at)) {
    s.unsupported(`${s.msg.op_type} with a computed weight`);
    return undefined;
  }
  const w = s.konst(at);
  if (!TYPES[w.dtype]) return s.invalid(`input ${at} (the weight) '${s.input(at)}' is ${dataTypeName(w.dtype)}; ${s.msg.op_type} takes int8 or uint8 weights`);
  const p = params(s, w.shape.length, at + 1, axis);
  if (s.has(at + 2) && p.dtype !== w.dtype) return s.invalid(`the weight '${s.input(at)}' is ${dataTypeName(w.dtype)} and its zero point ${dataTypeName(p.dtype)}; they must be the same type`);
  return { c: dequantizeConst(w, p, s.has(at + 2)), p };
}

/**
 * The float bias of a QLinear op: the int32 constant at input `at` with zero point 0 and, as
 * onnxruntime defines it, scale x_scale * w_scale (per output channel when w's is), `n` values.
 * The name of the folded constant.
 */
function bias(s: Step, at: number, xScale: number, w: Params, n: number): string {
  const b = s.konst(at);
  if (b.dtype !== DataType.INT32) return s.invalid(`input ${at} (the bias) '${s.input(at)}' is ${dataTypeName(b.dtype)}; ${s.msg.op_type} takes an int32 bias`);
  if (b.data.length !== n || b.shape.length > 1) return s.invalid(`input ${at} (the bias) '${s.input(at)}' has shape [${b.shape.join(', ')}]; expected [${n}]`);
  const scale = Float32Array.from({ length: n }, (_, m) => Math.fround(xScale * w.scale[w.scale.length === 1 ? 0 : m]));
  const p: Params = { scale, zeroPoint: new Float64Array(n), dtype: DataType.INT32, axis: 0 };
  const name = s.im.freshTensorName(`${s.input(at)}.dequantized`);
  // The file stores the int32 values only: their scale is the product of the others.
  s.im.consts.set(name, { ...dequantizeConst({ ...b, shape: [n] }, p, false), storedBytes: 4 * n });
  return name;
}

export const qlinearConv: OpHandler = {
  inputs: () => spec('x x_scale x_zero_point w w_scale w_zero_point y_scale y_zero_point B', 8),
  reads8bit: true,
  run: (s) => {
    const x = eightBitInput(s, 0);
    if (x === undefined) return;
    const grid = outputGrid(s, 6);
    if (!grid) return;
    const attrs = convAttrs(s, 3);
    if (!attrs) return;
    const w = weight(s, 3, 0);
    if (!w) return;
    const name = s.im.freshTensorName(`${s.input(3)}.dequantized`);
    s.im.consts.set(name, w.c);
    const inputs = [x, name];
    if (s.has(8)) inputs.push(bias(s, 8, s.im.eightBit.get(s.input(0))!.grid.scale, w.p, w.c.shape[0]));
    requantized(s, 'conv2d', inputs, attrs, grid);
  },
};

const QLINEAR_ADD_INPUTS = 'A A_scale A_zero_point B B_scale B_zero_point C_scale C_zero_point';

/** com.microsoft's QLinearAdd: its zero points optional, the output of A's type. */
export const qlinearAdd: OpHandler = {
  inputs: () => spec(QLINEAR_ADD_INPUTS, 2),
  reads8bit: true,
  run: (s) => {
    // An InputSpec has no optional inputs between required ones: B, B_scale and C_scale are checked here.
    for (const i of [3, 4, 6]) if (!s.has(i)) s.invalid(`input ${i} (${QLINEAR_ADD_INPUTS.split(' ')[i]}) is missing, but required`);
    const a = operand(s, 0);
    if (a === undefined) return;
    const b = operand(s, 3);
    if (b === undefined) return;
    const grid = outputGrid(s, 6, a.type);
    if (grid) requantized(s, 'add', [a.tensor, b.tensor], {}, grid);
  },
};

export const qlinearGlobalAveragePool: OpHandler = {
  inputs: () => spec('X x_scale x_zero_point y_scale y_zero_point'),
  reads8bit: true,
  run: (s) => {
    if (s.attrs.int('channels_last', 0) !== 0) return s.unsupported('QLinearGlobalAveragePool channels_last=1');
    const x = eightBitInput(s, 0);
    if (x === undefined) return;
    const grid = outputGrid(s, 3);
    if (grid && nchwInput(s)) requantized(s, 'globalavgpool', [x], {}, grid);
  },
};

/**
 * A QLinearMatMul or QGemm: A (input 0) an 8-bit matrix, B (input 3) a constant 8-bit matrix,
 * [K, N] or [N, K] if `transB`, its scale per tensor or per column of the product; an fc layer
 * on the float forms. `biasAt` is the int32 bias's input, `yAt` the output scale's: without
 * one the output is float32 (QGemm), else it is rounded onto its grid.
 */
function qlinearFc(s: Step, transB: boolean, biasAt: number | undefined, yAt: number): void {
  const a = s.shape(0);
  const bShape = s.shape(3);
  if (a.length !== 2 || bShape.length !== 2) return s.unsupported(`${s.msg.op_type} of ${a.length}-D by ${bShape.length}-D tensors`);
  const x = eightBitInput(s, 0);
  if (x === undefined) return;
  const grid = s.has(yAt) ? outputGrid(s, yAt) : undefined;
  if (s.has(yAt) && !grid) return;
  const w = weight(s, 3, transB ? 0 : 1);
  if (!w) return;
  // fc weights are [N, K]: a [K, N] matrix is transposed, and its per-column grid becomes per row.
  const [r, c] = bShape;
  const fcWeight: ConstTensor = transB ? w.c : { ...w.c, shape: [c, r], data: transpose2d(w.c.data as Float32Array, r, c, 1), quantized: { ...w.c.quantized!, axis: 0 } };
  const name = s.im.freshTensorName(`${s.input(3)}.dequantized`);
  s.im.consts.set(name, fcWeight);
  const inputs = [x, name];
  if (biasAt !== undefined && s.has(biasAt)) inputs.push(bias(s, biasAt, s.im.eightBit.get(s.input(0))!.grid.scale, w.p, fcWeight.shape[0]));
  if (grid) requantized(s, 'fc', inputs, {}, grid);
  else s.emit('fc', inputs, {});
}

export const qlinearMatMul: OpHandler = {
  inputs: () => spec('a a_scale a_zero_point b b_scale b_zero_point y_scale y_zero_point'),
  reads8bit: true,
  run: (s) => qlinearFc(s, false, undefined, 6),
};

/** com.microsoft's QGemm: alpha * A B + C, C an int32 bias with scale alpha * a_scale * b_scale. */
export const qgemm: OpHandler = {
  inputs: () => spec('A a_scale a_zero_point B b_scale b_zero_point C y_scale y_zero_point', 6),
  reads8bit: true,
  run: (s) => {
    if (s.attrs.int('transA', 0) !== 0) return s.unsupported('QGemm transA=1');
    if (s.attrs.float('alpha', 1) !== 1) return s.unsupported('QGemm alpha != 1');
    qlinearFc(s, s.attrs.int('transB', 0) === 1, 6, 7);
  },
};

/**
 * A node of any other op reading an 8-bit tensor. A grid-preserving op (GRID_PRESERVING:
 * MaxPool, Flatten, Reshape, ...) with the 8-bit tensor as its data input runs on the float
 * form, and its output is an 8-bit tensor on the same grid behind a qdq node (an identity on
 * values on the grid), where the QDQ form has a QuantizeLinear -> DequantizeLinear pair and the
 * int8 pass looks for a grid. Anything else is unsupported.
 */
export function onEightBit(s: Step, handler: OpHandler): void {
  const q = s.im.eightBit.get(s.input(0));
  if (!q || !GRID_PRESERVING.has(s.msg.op_type) || s.msg.input.slice(1).some((t) => s.im.eightBit.has(t))) {
    return s.unsupported(`${s.msg.op_type} of an 8-bit tensor (QOperator form)`);
  }
  handler.run(new Step(s.im, { ...s.msg, input: [q.tensor, ...s.msg.input.slice(1)] }, s.opset));
  const out = s.msg.output[0];
  if (!s.im.isComputed(out)) return; // marked unsupported
  const tensor = s.im.freshTensorName(`${out}.qdq`);
  s.im.addNode(`${nodeLabel(s.msg)}.qdq`, 'qdq', [out], tensor, { ...q.grid }, [], s.where);
  s.im.eightBit.set(out, { tensor, grid: q.grid });
}

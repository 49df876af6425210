/**
 * QuantizeLinear and DequantizeLinear, the QDQ form onnxruntime's quantizer writes
 * (`quantize_static(..., quant_format=QuantFormat.QDQ)`): 8-bit weights and biases stored as
 * int8 / uint8 / int32 initializers behind a DequantizeLinear, and every quantized activation
 * as QuantizeLinear -> DequantizeLinear with one scale and zero point.
 *
 * - DequantizeLinear of a constant (weights per tensor or per axis, int32 biases) folds to
 *   the float32 tensor it stands for: (x - zero_point) * scale.
 * - QuantizeLinear of a computed tensor whose every reader is a DequantizeLinear with the
 *   same scale and zero point becomes one `qdq` IR node (the float span rounded to the 8-bit
 *   grid, where the file rounds it); the 8-bit tensor itself never exists.
 * - QuantizeLinear of a computed tensor read by the QOperator form's ops (QLinearConv and the
 *   like, MaxPool / Flatten / Reshape: ./qlinear.ts) becomes a `qdq` node too, and its output
 *   an *8-bit tensor* (ImportContext.eightBit): the qdq's float output, on the grid.
 *   DequantizeLinear of an 8-bit tensor is that float tensor again.
 * - QuantizeLinear of a constant folds to its 8-bit values.
 * Anything else (an 8-bit graph input or output, a QuantizeLinear read by another op, per-axis
 * quantization of a computed tensor, 16-bit and 4-bit types) is an unsupported op.
 */
import { OnnxError } from '../../graph/errors.js';
import { QDQ_RANGE, roundHalfEven } from '../../ops/activation.js';
import { DataType, dataTypeName } from '../schema.js';
import { spec, type ActivationGrid, type OpHandler, type Step } from '../step.js';
import type { ConstTensor } from '../tensor-proto.js';

/** The 8-bit types, by ONNX data type. */
export const TYPES: Partial<Record<number, 'int8' | 'uint8'>> = { [DataType.INT8]: 'int8', [DataType.UINT8]: 'uint8' };

/**
 * The ops that keep every value of their input: on an 8-bit tensor they run on its float
 * form, and their output is an 8-bit tensor on the same grid (MaxPool: rounding to the grid
 * is monotonic, so the max commutes with it).
 */
export const GRID_PRESERVING: ReadonlySet<string> = new Set(['MaxPool', 'Flatten', 'Reshape', 'Squeeze', 'Unsqueeze', 'Transpose', 'Identity', 'Dropout']);
/** The op types that read an 8-bit tensor besides DequantizeLinear: the QOperator form's (./qlinear.ts). */
const EIGHT_BIT_READERS: ReadonlySet<string> = new Set(['QLinearConv', 'QLinearAdd', 'QLinearGlobalAveragePool', 'QLinearMatMul', 'QGemm', ...GRID_PRESERVING]);

/** A node's scale (input `at`) and zero point (input `at` + 1, optional): per tensor or along `axis`. */
export interface Params {
  readonly scale: Float32Array;
  readonly zeroPoint: Float64Array;
  /** The zero point's type (uint8 when it is absent), which is the quantized tensor's. */
  readonly dtype: number;
  /** The axis they run along, when there is more than one of each. */
  readonly axis: number;
}

/**
 * The scale and zero point at inputs `at` and `at` + 1 of a tensor of rank `rank`; `axisAttr`
 * (default: the node's `axis` attribute) is the axis a 1-D scale runs along.
 */
export function params(s: Step, rank: number, at = 1, axisAttr = s.attrs.int('axis', 1)): Params {
  const scale = s.konst(at);
  const what = at === 1 ? 'the scale' : `input ${at} (a scale) '${s.input(at)}'`;
  if (scale.dtype !== DataType.FLOAT) return s.invalid(`${what} is ${dataTypeName(scale.dtype)}; webconv reads float32 scales`);
  const n = scale.data.length;
  if (scale.shape.length > 1 || n === 0) s.invalid(`${what} has shape [${scale.shape.join(', ')}]; expected a scalar or a 1-D tensor`);
  for (const v of scale.data) if (!(v > 0) || !Number.isFinite(v)) s.invalid(`${what} holds ${v}; a scale must be positive and finite`);
  const zp: ConstTensor | undefined = s.has(at + 1) ? s.konst(at + 1) : undefined;
  if (zp && (zp.data.length !== n || zp.shape.length !== scale.shape.length)) {
    s.invalid(`the zero point has shape [${zp.shape.join(', ')}], ${what} [${scale.shape.join(', ')}]; they must match`);
  }
  const axis = axisAttr < 0 ? axisAttr + rank : axisAttr;
  if (scale.shape.length === 1 && (axis < 0 || axis >= rank)) s.invalid(`axis ${axisAttr} is out of range for a tensor of rank ${rank}`);
  return {
    scale: Float32Array.from(scale.data),
    zeroPoint: zp ? Float64Array.from(zp.data) : new Float64Array(n),
    dtype: zp ? zp.dtype : DataType.UINT8,
    axis,
  };
}

/** For each element of `shape`, the index of its scale (per tensor: 0; per axis: its coordinate on `axis`). */
export function paramIndex(shape: readonly number[], p: Params): (i: number) => number {
  if (p.scale.length === 1) return () => 0;
  const inner = shape.slice(p.axis + 1).reduce((a, b) => a * b, 1);
  const extent = shape[p.axis];
  if (extent !== p.scale.length) throw new OnnxError('invalid', `${p.scale.length} scales along axis ${p.axis}, whose extent is ${extent}`);
  return (i) => Math.floor(i / inner) % extent;
}

export const quantizeLinear: OpHandler = {
  inputs: () => spec('x y_scale y_zero_point', 2),
  run: (s) => {
    const shape = s.shape(0);
    const p = params(s, shape.length);
    const type = TYPES[p.dtype];
    if (!type) return s.unsupported(`QuantizeLinear to ${dataTypeName(p.dtype)}`);
    const [qmin, qmax] = QDQ_RANGE[type];
    if (s.isConst(0)) {
      const x = s.konst(0);
      const at = paramIndex(x.shape, p);
      const q = new Float64Array(x.data.length);
      for (let i = 0; i < q.length; i++) {
        const k = at(i);
        const v = roundHalfEven(Math.fround(x.data[i] / p.scale[k])) + p.zeroPoint[k];
        q[i] = v >= qmin && v <= qmax ? v : v > qmax ? qmax : qmin; // NaN: qmin
      }
      return s.define({ dtype: p.dtype, shape: x.shape, data: q });
    }
    if (p.scale.length !== 1) return s.unsupported('QuantizeLinear per axis of a computed tensor');
    const out = s.msg.output[0];
    if (s.im.isGraphOutput(out)) return s.unsupported('QuantizeLinear as a graph output (8-bit outputs)');
    const grid: ActivationGrid = { scale: p.scale[0], zeroPoint: p.zeroPoint[0], type };
    const readers = s.im.readersOf(out);
    const others = readers.filter((r) => !(r.op_type === 'DequantizeLinear' && r.input[0] === out) && !EIGHT_BIT_READERS.has(r.op_type));
    if (others.length) return s.unsupported(`QuantizeLinear read by ${[...new Set(others.map((r) => r.op_type))].join(', ')}`);
    if (readers.every((r) => r.op_type === 'DequantizeLinear')) return void s.im.quantized.set(out, { input: s.input(0), ...grid });
    // The QOperator form: the 8-bit tensor, as the float tensor on its grid.
    s.emit('qdq', [s.input(0)], { ...grid });
    s.im.eightBit.set(out, { tensor: out, grid });
  },
};

/**
 * Whether inputs `at` and `at` + 1 of a node reading an 8-bit tensor, its scale and zero
 * point, are those of the tensor's grid; when not, the node is marked unsupported.
 */
export function sameGrid(s: Step, grid: ActivationGrid, at: number): boolean {
  const p = params(s, 1, at, 0);
  if (p.scale.length === 1 && p.scale[0] === grid.scale && p.zeroPoint[0] === grid.zeroPoint && (!s.has(at + 1) || TYPES[p.dtype] === grid.type)) return true;
  s.unsupported(`${s.msg.op_type} reading an 8-bit tensor with other parameters than it was quantized with`);
  return false;
}

/**
 * The float32 value of a constant 8-bit or int32 tensor x with parameters p:
 * (x - zero_point) * scale, carrying how many bytes the file stores it in and its grid.
 * `hasZeroPoint`: whether the file stores a zero point. The caller checks the types.
 */
export function dequantizeConst(x: ConstTensor, p: Params, hasZeroPoint: boolean): ConstTensor {
  const at = paramIndex(x.shape, p);
  const y = new Float32Array(x.data.length);
  for (let i = 0; i < y.length; i++) {
    const k = at(i);
    y[i] = (x.data[i] - p.zeroPoint[k]) * p.scale[k];
  }
  // Stored as 1 (int8 / uint8) or 4 (int32) bytes per value, plus a float32 scale and (when given) a zero point per scale.
  const width = x.dtype === DataType.INT32 ? 4 : 1;
  const type = x.dtype === DataType.INT32 ? 'int32' : TYPES[x.dtype]!;
  return {
    dtype: DataType.FLOAT, shape: x.shape, data: y, storedBytes: y.length * width + p.scale.length * (4 + (hasZeroPoint ? width : 0)),
    quantized: { type, scale: p.scale, zeroPoint: p.zeroPoint, axis: p.scale.length > 1 ? p.axis : 0 },
  };
}

export const dequantizeLinear: OpHandler = {
  inputs: () => spec('x x_scale x_zero_point', 2),
  reads8bit: true,
  run: (s) => {
    const pending = s.im.quantized.get(s.input(0));
    if (pending) {
      const p = params(s, s.im.shapeOf(pending.input, s).length);
      if (p.scale.length !== 1 || p.scale[0] !== pending.scale || p.zeroPoint[0] !== pending.zeroPoint || (s.has(2) && TYPES[p.dtype] !== pending.type)) {
        return s.unsupported('DequantizeLinear with other parameters than its QuantizeLinear');
      }
      return s.emit('qdq', [pending.input], { scale: pending.scale, zeroPoint: pending.zeroPoint, type: pending.type });
    }
    const eightBit = s.im.eightBit.get(s.input(0));
    if (eightBit) {
      if (sameGrid(s, eightBit.grid, 1)) s.emit('identity', [eightBit.tensor], {});
      return;
    }
    if (!s.isConst(0)) return s.unsupported('DequantizeLinear of a computed 8-bit tensor (an 8-bit graph input)');
    const x = s.konst(0);
    const p = params(s, x.shape.length);
    if (s.has(2) && p.dtype !== x.dtype) s.invalid(`x is ${dataTypeName(x.dtype)} and the zero point ${dataTypeName(p.dtype)}; they must be the same type`);
    if (!TYPES[x.dtype] && x.dtype !== DataType.INT32) return s.unsupported(`DequantizeLinear of ${dataTypeName(x.dtype)}`);
    s.define(dequantizeConst(x, p, s.has(2)));
  },
};

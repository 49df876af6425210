import { OnnxError } from '../graph/errors.js';
import { DataType, dataTypeName, decodeTensorMessage, type TensorMessage } from './schema.js';
import type { QuantGrid } from '../graph/graph.js';

/**
 * Most elements one tensor may have (2^28: 1 GiB of float32). Checked on dims before
 * anything is allocated, so a corrupt or hostile file cannot ask for a huge buffer.
 */
export const MAX_ELEMENTS = 2 ** 28;

/**
 * A tensor whose values are known at import: an initializer, a Constant, or the result of
 * folding shape arithmetic. FLOAT values are held in a Float32Array (so folded float
 * arithmetic rounds as float32 does); every other type in a Float64Array, which holds
 * int32, float16 and int64 values up to 2^53 exactly.
 */
export interface ConstTensor {
  /** ONNX TensorProto.DataType */
  readonly dtype: number;
  readonly shape: readonly number[];
  readonly data: Float32Array | Float64Array;
  /** Bytes of the file's form, when folded from a narrower one (a dequantized int8 weight). */
  readonly storedBytes?: number;
  /** The integer grid it was dequantized from (Initializer.quantized). */
  readonly quantized?: QuantGrid;
}

/** Bytes per element in raw_data, for the types webconv reads. */
const RAW_WIDTH: Partial<Record<number, number>> = {
  [DataType.FLOAT]: 4,
  [DataType.DOUBLE]: 8,
  [DataType.FLOAT16]: 2,
  [DataType.BFLOAT16]: 2,
  [DataType.INT64]: 8,
  [DataType.INT32]: 4,
  [DataType.INT16]: 2,
  [DataType.UINT16]: 2,
  [DataType.INT8]: 1,
  [DataType.UINT8]: 1,
  [DataType.BOOL]: 1,
};

/**
 * Checks dims are non-negative integers whose product is at most `limit`; returns them
 * as a shape. Called before any tensor is allocated.
 */
export function checkedShape(dims: readonly number[], what: string, limit = MAX_ELEMENTS): number[] {
  let n = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new OnnxError('invalid', `${what}: dimension ${d} is not a non-negative integer (dims [${dims.join(', ')}])`);
    }
    n *= d;
  }
  if (n > limit) {
    throw new OnnxError('invalid', `${what}: dims [${dims.join(', ')}] make ${n} elements, more than the ${limit} webconv accepts here`);
  }
  return [...dims];
}

/** Number of elements of a shape. */
export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Whether this machine stores numbers little-endian, as ONNX's raw_data does (every engine webconv targets does). */
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** float16 bits -> number */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** bfloat16 bits -> number (the upper half of a float32). */
function bfloat16ToFloat(h: number): number {
  const v = new DataView(new ArrayBuffer(4));
  v.setUint32(0, (h & 0xffff) << 16);
  return v.getFloat32(0);
}

/** Reads element i of little-endian raw_data. */
function rawReader(dtype: number, view: DataView): (i: number) => number {
  switch (dtype) {
    case DataType.FLOAT: return (i) => view.getFloat32(4 * i, true);
    case DataType.DOUBLE: return (i) => view.getFloat64(8 * i, true);
    case DataType.FLOAT16: return (i) => halfToFloat(view.getUint16(2 * i, true));
    case DataType.BFLOAT16: return (i) => bfloat16ToFloat(view.getUint16(2 * i, true));
    case DataType.INT64: return (i) => Number(view.getBigInt64(8 * i, true));
    case DataType.INT32: return (i) => view.getInt32(4 * i, true);
    case DataType.INT16: return (i) => view.getInt16(2 * i, true);
    case DataType.UINT16: return (i) => view.getUint16(2 * i, true);
    case DataType.INT8: return (i) => view.getInt8(i);
    default: return (i) => view.getUint8(i); // UINT8, BOOL
  }
}

/** The typed field holding values of `dtype` when raw_data is not used. */
function typedField(t: TensorMessage): number[] {
  switch (t.data_type) {
    case DataType.FLOAT: return t.float_data;
    case DataType.DOUBLE: return t.double_data;
    case DataType.INT64: return t.int64_data;
    default: return t.int32_data; // int32 and narrower, bool, and float16/bfloat16 bits
  }
}

/** The name of the field {@link typedField} reads, for messages. */
function typedFieldName(dtype: number): string {
  switch (dtype) {
    case DataType.FLOAT: return 'float_data';
    case DataType.DOUBLE: return 'double_data';
    case DataType.INT64: return 'int64_data';
    default: return 'int32_data';
  }
}

/**
 * Checks a decoded TensorProto before anything is allocated: its data is in the file, of a
 * type webconv reads, and as long as its dims say. Returns its shape.
 */
function checkedTensor(t: TensorMessage, what: string): number[] {
  if (t.data_location === 1 || t.external_data.length > 0) {
    throw new OnnxError('unsupported', `${what} keeps its data in an external file; webconv reads self-contained .onnx files only`);
  }
  const dtype = t.data_type;
  const width = RAW_WIDTH[dtype];
  if (width === undefined) {
    throw new OnnxError('unsupported', `${what} has data type ${dataTypeName(dtype)}; webconv reads FLOAT, DOUBLE, FLOAT16, BFLOAT16 and integer tensors`);
  }
  const shape = checkedShape(t.dims, what);
  const n = elementCount(shape);
  const raw = t.raw_data;
  // The data must match the dims before the values array is allocated: dims are only a
  // claim, and a few bytes of file may claim a gigabyte.
  if (raw.length > 0) {
    if (raw.length !== n * width) {
      throw new OnnxError('invalid', `${what}: raw_data holds ${raw.length} bytes, but dims [${shape.join(', ')}] of ${dataTypeName(dtype)} need ${n * width} (${n} elements of ${width} byte${width > 1 ? 's' : ''})`);
    }
  } else if (typedField(t).length !== n) {
    const field = typedField(t);
    throw new OnnxError('invalid', `${what}: ${typedFieldName(dtype)} holds ${field.length} value${field.length === 1 ? '' : 's'}, but dims [${shape.join(', ')}] need ${n}`);
  }
  return shape;
}

/**
 * float32 little-endian raw_data as values: a view of the file's bytes where they are 4-byte
 * aligned, else one copy (into `into` when given).
 */
function float32Raw(raw: Uint8Array, into?: Float32Array): Float32Array {
  if (raw.byteOffset % 4 === 0) return new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4);
  const out = into ?? new Float32Array(raw.length / 4);
  new Uint8Array(out.buffer, out.byteOffset, raw.length).set(raw);
  return out;
}

/**
 * The values of a decoded TensorProto. Dims and data length are checked before the
 * values array is allocated; external data, strings and exotic types are refused. A
 * float32 raw_data tensor's values may be a view of the file's bytes (when aligned).
 *
 * @param what names the tensor in error messages ("initializer 'conv1.weight'")
 */
export function tensorFromMessage(t: TensorMessage, what: string): ConstTensor {
  const shape = checkedTensor(t, what);
  const dtype = t.data_type;
  const n = elementCount(shape);
  const raw = t.raw_data;
  // The common case, a float32 weight: its little-endian bytes are the array's.
  if (raw.length > 0 && dtype === DataType.FLOAT && LITTLE_ENDIAN) return { dtype, shape, data: float32Raw(raw) };
  // FLOAT16/BFLOAT16 are widened to the float64 store; they become float32 exactly.
  const out = dtype === DataType.FLOAT ? new Float32Array(n) : new Float64Array(n);
  if (raw.length > 0) {
    const read = rawReader(dtype, new DataView(raw.buffer, raw.byteOffset, raw.byteLength));
    for (let i = 0; i < n; i++) out[i] = read(i);
  } else {
    const field = typedField(t);
    const convert = dtype === DataType.FLOAT16 ? halfToFloat : dtype === DataType.BFLOAT16 ? bfloat16ToFloat : (v: number) => v;
    for (let i = 0; i < n; i++) out[i] = convert(field[i]);
  }
  return { dtype, shape, data: out };
}

/**
 * A float32 raw_data tensor checked now and decoded later: its shape, and a function giving
 * its values (see {@link tensorFromMessage}). Undefined for any other tensor. Import keeps
 * such weights undecoded (cold start: no copy of every weight before a backend packs them
 * into memory of its own, ResNet-50's import 150 -> 20 ms), reading the file's bytes when a
 * weight is first asked for.
 */
export function lazyFloat32(t: TensorMessage, what: string): { shape: number[]; values: (into?: Float32Array) => Float32Array } | undefined {
  if (t.data_type !== DataType.FLOAT || t.raw_data.length === 0 || !LITTLE_ENDIAN) return undefined;
  const shape = checkedTensor(t, what);
  const raw = t.raw_data;
  return { shape, values: (into) => float32Raw(raw, into) };
}

/**
 * Decodes a serialized float32 TensorProto, such as the `input_0.pb` / `output_0.pb` files
 * of ONNX's conformance data.
 *
 * @throws {OnnxError} when the bytes are not a TensorProto, the tensor is not FLOAT, or its
 *   dims and data disagree
 */
export function decodeTensorProto(bytes: Uint8Array): { name: string; shape: number[]; data: Float32Array } {
  let t: TensorMessage;
  try {
    t = decodeTensorMessage(bytes);
  } catch (e) {
    throw new OnnxError('invalid', `not a TensorProto, or a truncated one: ${e instanceof Error ? e.message : String(e)}`);
  }
  const what = `tensor '${t.name}'`;
  if (t.data_type !== DataType.FLOAT) {
    throw new OnnxError('unsupported', `${what} has data type ${dataTypeName(t.data_type)}; expected FLOAT`);
  }
  const c = tensorFromMessage(t, what);
  return { name: t.name, shape: [...c.shape], data: c.data instanceof Float32Array ? c.data : Float32Array.from(c.data) };
}

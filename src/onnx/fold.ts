/**
 * Constant folding: the tensor arithmetic of the ONNX ops that only compute shapes and
 * constants (Shape -> Gather -> Unsqueeze -> Concat -> Reshape, as PyTorch exports a
 * flatten). They are evaluated at import and never become graph nodes. Inputs are small
 * (shape vectors, scalars), so the loops are plain. Ops whose output can outgrow their
 * inputs (Gather, Concat, broadcasting arithmetic) take a `limit` on output elements,
 * checked before allocating.
 */
import { OnnxError } from '../graph/errors.js';
import { broadcastShape } from '../ops/broadcast.js';
import { sliceRegion } from '../ops/slice.js';
import { DataType, dataTypeName } from './schema.js';
import { checkedShape, elementCount, type ConstTensor } from './tensor-proto.js';

/** An array for `n` values of `dtype` (see {@link ConstTensor} for the storage rule). */
export function allocFor(dtype: number, n: number): Float32Array | Float64Array {
  return dtype === DataType.FLOAT ? new Float32Array(n) : new Float64Array(n);
}

export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1];
  return s;
}

/** Normalises an axis in [-rank, rank) to [0, rank); `where` names the node for errors. */
export function normAxis(axis: number, rank: number, where: string): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new OnnxError('invalid', `${where}: axis ${axis} is out of range for rank ${rank}`);
  }
  return axis < 0 ? axis + rank : axis;
}

/** The values of an integer tensor (shape vectors, axes, indices) as a plain array. */
export function intValues(t: ConstTensor, where: string): number[] {
  const v = Array.from(t.data);
  if (!v.every(Number.isInteger)) throw new OnnxError('invalid', `${where}: expected integer values, found [${v.join(', ')}]`);
  return v;
}

/** The single value of a scalar or one-element tensor. */
export function scalarValue(t: ConstTensor, where: string): number {
  if (t.data.length !== 1) throw new OnnxError('invalid', `${where}: expected a single value, found shape [${t.shape.join(', ')}]`);
  return t.data[0];
}

/** Copies `t` with new dims (a reshape of constant data). */
export function withShape(t: ConstTensor, shape: readonly number[]): ConstTensor {
  return { dtype: t.dtype, shape: [...shape], data: t.data };
}

/** ONNX Gather along `axis`; negative indices count from the end. */
export function gather(data: ConstTensor, indices: ConstTensor, axis: number, where: string, limit: number): ConstTensor {
  const ax = normAxis(axis, data.shape.length, where);
  const dim = data.shape[ax];
  const idx = intValues(indices, where).map((i) => {
    if (i < -dim || i >= dim) throw new OnnxError('invalid', `${where}: index ${i} is out of range for axis ${ax} of size ${dim}`);
    return i < 0 ? i + dim : i;
  });
  const outer = elementCount(data.shape.slice(0, ax));
  const inner = elementCount(data.shape.slice(ax + 1));
  const shape = checkedShape([...data.shape.slice(0, ax), ...indices.shape, ...data.shape.slice(ax + 1)], where, limit);
  const out = allocFor(data.dtype, elementCount(shape));
  let o = 0;
  for (let a = 0; a < outer; a++) {
    for (const i of idx) {
      const base = (a * dim + i) * inner;
      for (let k = 0; k < inner; k++) out[o++] = data.data[base + k];
    }
  }
  return { dtype: data.dtype, shape, data: out };
}

/** ONNX Slice: per listed axis, start/end (clamped as the spec says) and a non-zero step. */
export function slice(
  data: ConstTensor,
  starts: number[],
  ends: number[],
  axes: number[],
  steps: number[],
  where: string,
): ConstTensor {
  const rank = data.shape.length;
  const resolved = axes.map((axis) => normAxis(axis, rank, where));
  const stepsOf = axes.map((_, k) => steps[k] ?? 1);
  if (stepsOf.includes(0)) throw new OnnxError('invalid', `${where}: a slice step is 0`);
  // The bounds rule of the IR's slice op (src/ops/slice.ts), so a folded slice and a run one agree.
  const { begin, step, shape } = sliceRegion({ starts, ends, axes: resolved, steps: stepsOf }, data.shape);
  const srcStrides = stridesOf(data.shape);
  const n = elementCount(shape);
  const out = allocFor(data.dtype, n);
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < n; o++) {
    let src = 0;
    for (let d = 0; d < rank; d++) src += (begin[d] + idx[d] * step[d]) * srcStrides[d];
    out[o] = data.data[src];
    for (let d = rank - 1; d >= 0 && ++idx[d] === shape[d]; d--) idx[d] = 0;
  }
  return { dtype: data.dtype, shape, data: out };
}

/** ONNX Concat of constants along a normalised axis. */
export function concat(parts: readonly ConstTensor[], axis: number, where: string, limit: number): ConstTensor {
  const first = parts[0];
  for (const p of parts) {
    const same = p.shape.length === first.shape.length && p.shape.every((d, i) => i === axis || d === first.shape[i]);
    if (!same || p.dtype !== first.dtype) {
      throw new OnnxError('invalid', `${where}: cannot concatenate [${p.shape.join(', ')}] with [${first.shape.join(', ')}] on axis ${axis}`);
    }
  }
  const shape = [...first.shape];
  shape[axis] = parts.reduce((s, p) => s + p.shape[axis], 0);
  const outer = elementCount(shape.slice(0, axis));
  const out = allocFor(first.dtype, elementCount(checkedShape(shape, where, limit)));
  let o = 0;
  for (let a = 0; a < outer; a++) {
    for (const p of parts) {
      const inner = p.data.length / outer;
      out.set(p.data.subarray(a * inner, (a + 1) * inner), o);
      o += inner;
    }
  }
  return { dtype: first.dtype, shape, data: out };
}

/** NumPy broadcasting of two constant shapes. */
function broadcast(a: readonly number[], b: readonly number[], where: string): number[] {
  const out = broadcastShape(a, b);
  if (!out) throw new OnnxError('invalid', `${where}: shapes [${a.join(', ')}] and [${b.join(', ')}] do not broadcast`);
  return out;
}

const INTEGER_TYPES = new Set<number>([
  DataType.INT64, DataType.INT32, DataType.INT16, DataType.INT8, DataType.UINT8, DataType.UINT16, DataType.UINT32, DataType.UINT64,
]);

export function isIntegerType(dtype: number): boolean {
  return INTEGER_TYPES.has(dtype);
}

/** Elementwise Add/Sub/Mul/Div of two constants with broadcasting; integer Div truncates. */
export function binary(op: 'Add' | 'Sub' | 'Mul' | 'Div', a: ConstTensor, b: ConstTensor, where: string, limit: number): ConstTensor {
  if (a.dtype !== b.dtype) throw new OnnxError('invalid', `${where}: ${op} of ${dataTypeName(a.dtype)} and ${dataTypeName(b.dtype)}`);
  const shape = checkedShape(broadcast(a.shape, b.shape, where), where, limit);
  const int = isIntegerType(a.dtype);
  const f = {
    Add: (x: number, y: number) => x + y,
    Sub: (x: number, y: number) => x - y,
    Mul: (x: number, y: number) => x * y,
    Div: (x: number, y: number) => (int ? Math.trunc(x / y) : x / y),
  }[op];
  const n = elementCount(shape);
  const out = allocFor(a.dtype, n);
  const sa = broadcastStrides(a.shape, shape);
  const sb = broadcastStrides(b.shape, shape);
  const idx = new Array<number>(shape.length).fill(0);
  for (let o = 0; o < n; o++) {
    let ia = 0;
    let ib = 0;
    for (let d = 0; d < shape.length; d++) {
      ia += idx[d] * sa[d];
      ib += idx[d] * sb[d];
    }
    out[o] = f(a.data[ia], b.data[ib]);
    for (let d = shape.length - 1; d >= 0 && ++idx[d] === shape[d]; d--) idx[d] = 0;
  }
  return { dtype: a.dtype, shape, data: out };
}

function broadcastStrides(shape: readonly number[], out: readonly number[]): number[] {
  const own = stridesOf(shape);
  return out.map((_, j) => {
    const i = j - (out.length - shape.length);
    return i < 0 || shape[i] === 1 ? 0 : own[i];
  });
}

/** The types Cast can fold to. */
const CAST_TARGETS = new Set<number>([DataType.FLOAT, DataType.DOUBLE, DataType.BOOL, ...INTEGER_TYPES]);

/** Whether {@link cast} folds to `to`. */
export function canCastTo(to: number): boolean {
  return CAST_TARGETS.has(to);
}

/** ONNX Cast of a constant: floats truncate toward zero into integers; bool is `!= 0`. */
export function cast(t: ConstTensor, to: number): ConstTensor {
  const out = allocFor(to, t.data.length);
  for (let i = 0; i < t.data.length; i++) {
    const v = t.data[i];
    out[i] = to === DataType.BOOL ? (v !== 0 ? 1 : 0) : isIntegerType(to) ? Math.trunc(v) : v;
  }
  return { dtype: to, shape: [...t.shape], data: out };
}

/** Output dims of ONNX Reshape (0 copies the input dim unless allowzero, -1 is inferred). */
export function reshapeDims(input: readonly number[], shape: readonly number[], allowzero: boolean, where: string): number[] {
  const total = elementCount(input);
  const out = shape.map((d, i) => {
    if (d === 0 && !allowzero) {
      if (i >= input.length) throw new OnnxError('invalid', `${where}: shape [${shape.join(', ')}] copies axis ${i}, which the input [${input.join(', ')}] lacks`);
      return input[i];
    }
    return d;
  });
  const infer = out.indexOf(-1);
  if (out.some((d, i) => d < -1 || (d === -1 && i !== infer))) {
    throw new OnnxError('invalid', `${where}: invalid reshape target [${shape.join(', ')}]`);
  }
  if (infer >= 0) {
    const known = elementCount(out.filter((d) => d !== -1));
    if (known === 0 || total % known !== 0) throw new OnnxError('invalid', `${where}: cannot reshape [${input.join(', ')}] to [${shape.join(', ')}]`);
    out[infer] = total / known;
  }
  if (elementCount(out) !== total) throw new OnnxError('invalid', `${where}: cannot reshape [${input.join(', ')}] to [${shape.join(', ')}]`);
  return out;
}

/** Output dims of ONNX Unsqueeze: a 1 inserted at every axis (axes of the output rank). */
export function unsqueezeDims(input: readonly number[], axes: readonly number[], where: string): number[] {
  const rank = input.length + axes.length;
  const at = new Set(axes.map((a) => normAxis(a, rank, where)));
  if (at.size !== axes.length) throw new OnnxError('invalid', `${where}: repeated axis in [${axes.join(', ')}]`);
  const out: number[] = [];
  let k = 0;
  for (let i = 0; i < rank; i++) out.push(at.has(i) ? 1 : input[k++]);
  return out;
}

/** Output dims of ONNX Squeeze: the listed axes (each of size 1) removed, or every 1. */
export function squeezeDims(input: readonly number[], axes: readonly number[] | undefined, where: string): number[] {
  if (!axes) return input.filter((d) => d !== 1);
  const at = new Set(axes.map((a) => normAxis(a, input.length, where)));
  for (const a of at) {
    if (input[a] !== 1) throw new OnnxError('invalid', `${where}: cannot squeeze axis ${a} of size ${input[a]}`);
  }
  return input.filter((_, i) => !at.has(i));
}

/** Output dims of ONNX Flatten at a normalised axis. */
export function flattenDims(input: readonly number[], axis: number): number[] {
  return [elementCount(input.slice(0, axis)), elementCount(input.slice(axis))];
}

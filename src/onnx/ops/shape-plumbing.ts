/**
 * Constant, ConstantOfShape, Shape, Gather, Slice and Cast: shape plumbing, folded at
 * import (a Slice of a runtime tensor is an IR slice; a Cast to float32 of one, identity).
 */
import * as fold from '../fold.js';
import { DataType, dataTypeName } from '../schema.js';
import { spec, type OpHandler } from '../step.js';
import { checkedShape, elementCount, tensorFromMessage } from '../tensor-proto.js';

export const constant: OpHandler = {
  inputs: () => spec(''),
  run: (s) => {
    const a = s.attrs;
    const t = a.tensor('value');
    if (t) return s.define(tensorFromMessage(t, `${s.where}, attribute 'value'`));
    const f = a.float('value_float');
    if (f !== undefined) return s.define({ dtype: DataType.FLOAT, shape: [], data: Float32Array.of(f) });
    const fs = a.floats('value_floats');
    if (fs) return s.define({ dtype: DataType.FLOAT, shape: [fs.length], data: Float32Array.from(fs) });
    const i = a.int('value_int');
    if (i !== undefined) return s.define({ dtype: DataType.INT64, shape: [], data: Float64Array.of(i) });
    const is = a.ints('value_ints');
    if (is) return s.define({ dtype: DataType.INT64, shape: [is.length], data: Float64Array.from(is) });
    const other = s.msg.attribute[0]?.name;
    if (other) return s.unsupported(`Constant ${other}`);
    s.invalid('has no value attribute (one of value, value_float, value_floats, value_int, value_ints)');
  },
};

export const constantOfShape: OpHandler = {
  inputs: () => spec('input'),
  run: (s) => {
    const dims = s.constInts(0);
    if (!dims) return s.unsupported('ConstantOfShape of a computed shape');
    const shape = checkedShape(dims, s.where, s.im.foldLimit);
    const t = s.attrs.tensor('value');
    const v = t ? tensorFromMessage(t, `${s.where}, attribute 'value'`) : { dtype: DataType.FLOAT, shape: [1], data: Float32Array.of(0) };
    if (v.data.length !== 1) return s.invalid(`attribute 'value' must hold one element, found shape [${v.shape.join(', ')}]`);
    const data = fold.allocFor(v.dtype, elementCount(shape)).fill(v.data[0]);
    s.define({ dtype: v.dtype, shape, data });
  },
};

export const shape: OpHandler = {
  inputs: () => spec('data'),
  run: (s) => {
    const dims = s.shape(0);
    const r = dims.length;
    const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
    const start = s.opset >= 15 ? clamp(s.attrs.int('start', 0)) : 0;
    const end = s.opset >= 15 ? clamp(s.attrs.int('end', r)) : r;
    const out = dims.slice(start, Math.max(start, end));
    s.define({ dtype: DataType.INT64, shape: [out.length], data: Float64Array.from(out) });
  },
};

export const gather: OpHandler = {
  inputs: () => spec('data indices'),
  run: (s) => {
    if (!s.isConst(0) || !s.isConst(1)) return s.unsupported('Gather of a computed tensor');
    s.define(fold.gather(s.konst(0), s.konst(1), s.attrs.int('axis', 0), s.where, s.im.foldLimit));
  },
};

export const slice: OpHandler = {
  inputs: (opset) => (opset < 10 ? spec('data') : spec('data starts ends axes steps', 3)),
  run: (s) => {
    let starts: number[] | undefined;
    let ends: number[] | undefined;
    let axes: number[] | undefined;
    let steps: number[] | undefined;
    if (s.opset < 10) {
      starts = s.attrs.ints('starts');
      ends = s.attrs.ints('ends');
      axes = s.attrs.ints('axes');
    } else {
      starts = s.constInts(1);
      ends = s.constInts(2);
      if (s.has(3)) axes = s.constInts(3) ?? [NaN];
      if (s.has(4)) steps = s.constInts(4) ?? [NaN];
      if (!starts || !ends || axes?.some(Number.isNaN) || steps?.some(Number.isNaN)) return s.unsupported('Slice with computed bounds');
    }
    if (!starts || !ends) return s.invalid("attributes 'starts' and 'ends' are required before opset 10");
    axes ??= starts.map((_, i) => i);
    steps ??= starts.map(() => 1);
    if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length) {
      return s.invalid(`starts, ends, axes and steps must have the same length, found ${starts.length}, ${ends.length}, ${axes.length} and ${steps.length}`);
    }
    if (s.isConst(0)) return s.define(fold.slice(s.konst(0), starts, ends, axes, steps, s.where));
    const rank = s.shape(0).length;
    const norm = axes.map((a) => fold.normAxis(a, rank, s.where));
    if (new Set(norm).size !== norm.length) return s.invalid(`axes [${axes.join(', ')}] repeat an axis`);
    if (steps.includes(0)) return s.invalid('a slice step is 0');
    // ONNX writes 'to the end' as +-2^63, which float64 rounds: clamping makes it exact.
    const clampInt = (v: number) => Math.max(Math.min(v, Number.MAX_SAFE_INTEGER), -Number.MAX_SAFE_INTEGER);
    s.emit('slice', [s.input(0)], { starts: starts.map(clampInt), ends: ends.map(clampInt), axes: norm, steps });
  },
};

export const cast: OpHandler = {
  inputs: () => spec('input'),
  run: (s) => {
    const to = s.attrs.int('to');
    if (to === undefined) return s.invalid("attribute 'to' is required");
    if (!s.isConst(0)) {
      if (to === DataType.FLOAT) return s.emit('identity', [s.input(0)], {});
      return s.unsupported(`Cast to ${dataTypeName(to)}`);
    }
    if (!fold.canCastTo(to)) return s.unsupported(`Cast to ${dataTypeName(to)}`);
    s.define(fold.cast(s.konst(0), to));
  },
};

/**
 * Flatten, Reshape, Squeeze, Unsqueeze, Concat, Pad, Transpose and Split: reshapes, joins
 * and data movement, folded when their data is a constant, IR ops otherwise (Split: one
 * slice per output it has, so every IR node keeps one output).
 */
import { transposeView } from '../../ops/transpose.js';
import * as fold from '../fold.js';
import { spec, type OpHandler } from '../step.js';
import { checkedShape, type ConstTensor } from '../tensor-proto.js';

export const flatten: OpHandler = {
  inputs: () => spec('input'),
  run: (s) => {
    const x = s.shape(0);
    let axis = s.attrs.int('axis', 1);
    if (axis < 0) axis += x.length;
    if (axis < 0 || axis > x.length) return s.invalid(`axis ${s.attrs.int('axis', 1)} is out of range for rank ${x.length}`);
    if (s.isConst(0)) return s.define(fold.withShape(s.konst(0), fold.flattenDims(x, axis)));
    s.emit('flatten', [s.input(0)], { axis });
  },
};

export const reshape: OpHandler = {
  inputs: (opset) => spec(opset < 5 ? 'data' : 'data shape'),
  run: (s) => {
    const shape = s.opset < 5 ? s.attrs.ints('shape') : s.constInts(1);
    if (!shape) return s.opset < 5 ? s.invalid("attribute 'shape' is required before opset 5") : s.unsupported('Reshape to a computed shape');
    const allowzero = s.opset >= 14 && s.attrs.int('allowzero', 0) === 1;
    if (s.isConst(0)) {
      const c = s.konst(0);
      return s.define(fold.withShape(c, checkedShape(fold.reshapeDims(c.shape, shape, allowzero, s.where), s.where)));
    }
    s.emit('reshape', [s.input(0)], { shape, allowzero });
  },
};

/** Squeeze / Unsqueeze: a reshape to known dims (folded on constants). */
function squeezeRun(kind: 'Squeeze' | 'Unsqueeze'): OpHandler['run'] {
  return (s) => {
    const axes = s.opset < 13 ? s.attrs.ints('axes') : s.has(1) ? s.constInts(1) : undefined;
    if (s.opset >= 13 && s.has(1) && !axes) return s.unsupported(`${kind} with computed axes`);
    const x = s.shape(0);
    let dims: number[];
    if (kind === 'Squeeze') dims = fold.squeezeDims(x, axes, s.where);
    else if (!axes) return s.invalid("attribute 'axes' is required before opset 13");
    else dims = fold.unsqueezeDims(x, axes, s.where);
    if (s.isConst(0)) return s.define(fold.withShape(s.konst(0), dims));
    s.emit('reshape', [s.input(0)], { shape: dims, allowzero: false });
  };
}

/** From opset 13 axes is an input: optional for Squeeze (all 1s go), required for Unsqueeze. */
export const squeeze: OpHandler = {
  inputs: (opset) => (opset < 13 ? spec('data') : spec('data axes', 1)),
  run: squeezeRun('Squeeze'),
};

export const unsqueeze: OpHandler = {
  inputs: (opset) => spec(opset < 13 ? 'data' : 'data axes'),
  run: squeezeRun('Unsqueeze'),
};

export const concat: OpHandler = {
  inputs: () => ({ names: ['inputs'], required: 1, variadic: true }),
  run: (s) => {
    const inputs = s.msg.input; // none is '' (checkInputs)
    const rank = s.im.shapeOf(inputs[0], s).length;
    const raw = s.attrs.int('axis') ?? (s.opset < 4 ? 1 : undefined);
    if (raw === undefined) return s.invalid("attribute 'axis' is required");
    const axis = fold.normAxis(raw, rank, s.where);
    if (inputs.every((t) => s.im.isConst(t))) return s.define(fold.concat(inputs.map((t) => s.im.konst(t, s)), axis, s.where, s.im.foldLimit));
    s.emit('concat', inputs, { axis });
  },
};

export const pad: OpHandler = {
  inputs: (opset) => (opset < 11 ? spec('data') : spec(opset < 18 ? 'data pads constant_value' : 'data pads constant_value axes', 2)),
  run: (s) => {
    const mode = s.attrs.string('mode', 'constant');
    if (mode !== 'constant') return s.unsupported(`Pad mode '${mode}'`);
    const rank = s.shape(0).length;
    let pads: number[] | undefined;
    let value = 0;
    if (s.opset < 11) {
      pads = s.attrs.ints('pads') ?? s.attrs.ints('paddings'); // 'paddings' in opset 1
      value = s.attrs.float('value', 0);
      if (!pads) return s.invalid("attribute 'pads' is required before opset 11");
    } else {
      pads = s.constInts(1);
      if (!pads) return s.unsupported('Pad with computed pads');
      if (s.has(2)) {
        if (!s.isConst(2)) return s.unsupported('Pad with a computed value');
        value = fold.scalarValue(s.konst(2), `${s.where}, input 2 (constant_value) '${s.input(2)}'`);
      }
      if (s.has(3)) {
        const axes = s.constInts(3);
        if (!axes) return s.unsupported('Pad with computed axes');
        if (pads.length !== 2 * axes.length) return s.invalid(`input 1 (pads) holds ${pads.length} values for the ${axes.length} axes of input 3 (axes); expected ${2 * axes.length} (a begin and an end per axis)`);
        const full = new Array<number>(2 * rank).fill(0);
        axes.forEach((a, k) => {
          const ax = fold.normAxis(a, rank, s.where);
          full[ax] = pads![k];
          full[ax + rank] = pads![k + axes.length];
        });
        pads = full;
      }
    }
    if (pads.length !== 2 * rank) return s.invalid(`pads hold ${pads.length} values, but the rank-${rank} input '${s.input(0)}' needs ${2 * rank} (a begin and an end per axis)`);
    s.emit('pad', [s.input(0)], { pads, value });
  },
};

/** A constant transposed (a gather of any dtype; transposeView's walk). */
function foldTranspose(c: ConstTensor, perm: readonly number[]): ConstTensor {
  const v = transposeView(perm, c.shape);
  const out = fold.allocFor(c.dtype, c.data.length);
  const idx = v.dims.map(() => 0);
  for (let o = 0, src = 0; o < out.length; o++) {
    out[o] = c.data[src];
    for (let d = v.dims.length - 1; d >= 0; d--) {
      src += v.strides[d];
      if (++idx[d] < v.dims[d]) break;
      src -= v.strides[d] * v.dims[d];
      idx[d] = 0;
    }
  }
  return { dtype: c.dtype, shape: [...v.dims], data: out };
}

/** Transpose: any permutation (default: the axes reversed). */
export const transpose: OpHandler = {
  inputs: () => spec('data'),
  run: (s) => {
    const rank = s.shape(0).length;
    const perm = s.attrs.ints('perm') ?? Array.from({ length: rank }, (_, d) => rank - 1 - d);
    if (perm.length !== rank || new Set(perm).size !== rank || perm.some((p) => !Number.isInteger(p) || p < 0 || p >= rank)) {
      return s.invalid(`attribute 'perm' [${perm.join(', ')}] is not a permutation of the ${rank} axes of input '${s.input(0)}'`);
    }
    if (s.isConst(0)) return s.define(foldTranspose(s.konst(0), perm));
    s.emit('transpose', [s.input(0)], { perm });
  },
};

/**
 * Split along `axis`: sizes from the input `split` (opset 13+), the attribute `split`
 * (before), or equal parts (opset 18's num_outputs: the last part may be smaller). Each
 * output read by something is one IR slice of the input.
 */
export const split: OpHandler = {
  inputs: (opset) => (opset < 13 ? spec('input') : spec('input split', 1)),
  run: (s) => {
    const x = s.shape(0);
    const axis = fold.normAxis(s.attrs.int('axis', 0), x.length, s.where);
    const n = s.msg.output.length;
    let sizes = s.opset < 13 ? s.attrs.ints('split') : s.has(1) ? s.constInts(1) : undefined;
    if (s.opset >= 13 && s.has(1) && !sizes) return s.unsupported('Split with computed sizes');
    const dim = x[axis];
    if (!sizes) {
      const part = s.opset >= 18 ? Math.ceil(dim / n) : dim / n;
      if (!Number.isInteger(part)) return s.invalid(`axis ${axis} of extent ${dim} does not split into ${n} equal parts`);
      sizes = Array.from({ length: n }, (_, k) => Math.max(0, Math.min(part, dim - k * part)));
    }
    if (sizes.length !== n || sizes.some((v) => !Number.isInteger(v) || v < 0) || sizes.reduce((a, b) => a + b, 0) !== dim) {
      return s.invalid(`split sizes [${sizes.join(', ')}] must be ${n} non-negative integers summing to ${dim} (the extent of axis ${axis})`);
    }
    let at = 0;
    sizes.forEach((size, k) => {
      const out = s.msg.output[k];
      const attrs = { starts: [at], ends: [at + size], axes: [axis], steps: [1] };
      at += size;
      if (!out) return;
      if (s.isConst(0)) s.im.consts.set(out, fold.slice(s.konst(0), attrs.starts, attrs.ends, attrs.axes, attrs.steps, s.where));
      else if (s.outputUsed(k)) s.im.addNode(`${s.msg.name || out}${n > 1 ? `_${k}` : ''}`, 'slice', [s.input(0)], out, attrs, [], s.where);
    });
  },
};

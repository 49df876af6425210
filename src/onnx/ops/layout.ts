/**
 * Flatten, Reshape, Squeeze, Unsqueeze, Concat and Pad: reshapes and joins, folded when
 * their data is a constant, one IR op otherwise.
 */
import * as fold from '../fold.js';
import { spec, type OpHandler } from '../step.js';
import { checkedShape } from '../tensor-proto.js';

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

import { AttributeError, ShapeError } from '../graph/errors.js';
import { ZERO_COST, isInt, type OpDef } from './op.js';

/**
 * Constant padding (ONNX Pad, mode constant): `pads` holds the begin pads of every axis,
 * then the end pads; negative pads crop. Outside the input the output is `value`.
 */
export const pad: OpDef<'pad'> = {
  type: 'pad',
  arity: [1, 1],
  elementwise: false,
  inplace: false,
  attrs(node) {
    const { pads, value = 0 } = node.attrs as { pads?: unknown; value?: unknown };
    if (!Array.isArray(pads) || !pads.every(isInt)) throw new AttributeError(node.name, 'pads', 'a list of integers', pads);
    if (typeof value !== 'number') throw new AttributeError(node.name, 'value', 'a number', value);
    return { pads: [...pads], value };
  },
  inferShapes(node, [x]) {
    const pads = (node.attrs as { pads: number[] }).pads;
    if (pads.length !== 2 * x.length) throw new ShapeError(node.name, `${2 * x.length} pads for a rank-${x.length} input`, pads.length, 'pads');
    const out = x.map((d, i) => d + pads[i] + pads[i + x.length]);
    if (out.some((d) => d < 1)) throw new ShapeError(node.name, 'a padded shape of positive sizes', out, 'pads');
    return [out];
  },
  cost: () => ZERO_COST,
  reference(node, [x], [y]) {
    const { pads, value } = node.attrs as { pads: number[]; value: number };
    const rank = x.shape.length;
    const idx = new Array<number>(rank).fill(0);
    for (let o = 0; o < y.data.length; o++) {
      let src = 0;
      let inside = true;
      for (let d = 0; d < rank; d++) {
        const i = idx[d] - pads[d];
        if (i < 0 || i >= x.shape[d]) inside = false;
        src = src * x.shape[d] + i;
      }
      y.data[o] = inside ? x.data[src] : value;
      for (let d = rank - 1; d >= 0 && ++idx[d] === y.shape[d]; d--) idx[d] = 0;
    }
  },
};

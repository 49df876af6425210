import { ShapeError } from '../graph/errors.js';
import { ZERO_COST, intAttr, type OpDef } from './op.js';

/** Concatenation along `axis` (1: channels, the inception module's join). */
export const concat: OpDef<'concat'> = {
  type: 'concat',
  arity: [1, Infinity],
  elementwise: false,
  inplace: false,
  attrs: (node) => ({ axis: intAttr(node, 'axis', 0) }),
  inferShapes(node, inputs) {
    const axis = intAttr(node, 'axis', 0);
    const first = inputs[0];
    if (axis >= first.length) throw new ShapeError(node.name, `axis < rank ${first.length}`, axis, 'axis');
    let total = 0;
    for (const s of inputs) {
      const ok = s.length === first.length && s.every((d, i) => i === axis || d === first[i]);
      if (!ok) throw new ShapeError(node.name, `inputs equal to [${first.join(', ')}] except on axis ${axis}`, s);
      total += s[axis];
    }
    const out = [...first];
    out[axis] = total;
    return [out];
  },
  cost: () => ZERO_COST,
  reference(node, inputs, [y]) {
    const axis = intAttr(node, 'axis', 0);
    const outer = y.shape.slice(0, axis).reduce((a, b) => a * b, 1);
    const yInner = y.data.length / outer;
    let offset = 0;
    for (const x of inputs) {
      const inner = x.data.length / outer;
      for (let o = 0; o < outer; o++) y.data.set(x.data.subarray(o * inner, (o + 1) * inner), o * yInner + offset);
      offset += inner;
    }
  },
};

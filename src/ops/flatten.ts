import { ShapeError } from '../graph/errors.js';
import { ZERO_COST, intAttr, type OpDef } from './op.js';

/** Flatten from `axis` on (default 1): [N, C, H, W] -> [N, C*H*W]. A view: no copy, no cost. */
export const flatten: OpDef<'flatten'> = {
  type: 'flatten',
  arity: [1, 1],
  elementwise: false,
  inplace: true,
  attrs: (node) => ({ axis: intAttr(node, 'axis', 0) }),
  inferShapes(node, [x]) {
    const axis = intAttr(node, 'axis', 0);
    if (axis > x.length) throw new ShapeError(node.name, `axis <= rank ${x.length}`, axis, 'axis');
    const outer = x.slice(0, axis).reduce((a, b) => a * b, 1);
    const inner = x.slice(axis).reduce((a, b) => a * b, 1);
    return [[outer, inner]];
  },
  cost: () => ZERO_COST,
  reference(_node, [x], [y]) {
    if (y.data !== x.data) y.data.set(x.data);
  },
};

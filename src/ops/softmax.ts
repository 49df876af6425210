import { ShapeError } from '../graph/errors.js';
import { elements, type OpDef } from './op.js';

/** Softmax over the class axis of [N, classes]. */
export const softmax: OpDef = {
  type: 'softmax',
  arity: [1, 1],
  elementwise: true,
  inplace: true,
  validate() {},
  inferShapes(node, [x]) {
    if (x.length !== 2) throw new ShapeError(node.name, 'input of shape [N, classes]', x);
    return [x];
  },
  // exp, sum, divide.
  cost: (_node, _in, [y]) => ({ macs: 0, flops: 0, elementwiseFlops: 3 * elements(y) }),
};

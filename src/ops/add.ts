import { ShapeError } from '../graph/errors.js';
import { elements, sameShape, type OpDef } from './op.js';

/** Elementwise sum of two tensors of one shape: the residual connection. */
export const add: OpDef = {
  type: 'add',
  arity: [2, 2],
  elementwise: true,
  inplace: true,
  validate() {},
  inferShapes(node, [a, b]) {
    if (!sameShape(a, b)) throw new ShapeError(node.name, `both inputs of shape [${a.join(', ')}]`, b);
    return [a];
  },
  cost: (_node, _in, [y]) => ({ macs: 0, flops: 0, elementwiseFlops: elements(y) }),
};

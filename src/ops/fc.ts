import { ShapeError } from '../graph/errors.js';
import { type OpDef } from './op.js';

/**
 * Fully connected: x [N, Cin], weight [Cout, Cin] (PyTorch's Linear layout, ONNX Gemm with
 * transB=1), optional bias [Cout] -> [N, Cout].
 */
export const fc: OpDef = {
  type: 'fc',
  arity: [2, 3],
  elementwise: false,
  inplace: false,
  validate() {},
  inferShapes(node, [x, w, b]) {
    if (x.length !== 2) throw new ShapeError(node.name, 'input of shape [N, features] (flatten first)', x);
    if (w.length !== 2 || w[1] !== x[1]) throw new ShapeError(node.name, `weight of shape [Cout, ${x[1]}]`, w);
    if (b && (b.length !== 1 || b[0] !== w[0])) throw new ShapeError(node.name, `bias of shape [${w[0]}]`, b);
    return [[x[0], w[0]]];
  },
  cost(_node, [x, w]) {
    const macs = x[0] * w[0] * w[1];
    return { macs, flops: 2 * macs, elementwiseFlops: 0 };
  },
};

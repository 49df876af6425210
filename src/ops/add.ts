import type { Node } from '../graph/graph.js';
import { broadcastShapes, forEachBroadcast } from './broadcast.js';
import { elements, type OpDef } from './op.js';

/** A binary elementwise op with NumPy broadcasting (ONNX's multidirectional broadcast). */
function binary<T extends 'add' | 'mul'>(type: T, f: (a: number, b: number) => number): OpDef<T> {
  return {
    type,
    arity: [2, 2],
    elementwise: true,
    inplace: true,
    attrs: () => ({}),
    inferShapes: (node: Node, [a, b]) => [broadcastShapes(node, a, b)],
    cost: (_node, _in, [y]) => ({ macs: 0, flops: 0, elementwiseFlops: elements(y) }),
    reference(_node, [a, b], [y]) {
      forEachBroadcast(y.shape, a.shape, b.shape, (o, ia, ib) => {
        y.data[o] = f(a.data[ia], b.data[ib]);
      });
    },
  };
}

/** Elementwise sum: the residual connection (and ONNX Add, broadcasting). */
export const add = binary('add', (a, b) => a + b);

/** Elementwise product (ONNX Mul, broadcasting). */
export const mul = binary('mul', (a, b) => a * b);

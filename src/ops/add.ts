import type { Node } from '../graph/graph.js';
import { broadcastShapes, forEachBroadcast } from './broadcast.js';
import { elements, type OpDef } from './op.js';

/** A binary elementwise op with NumPy broadcasting (ONNX's multidirectional broadcast). */
function binary<T extends 'add' | 'mul' | 'sub' | 'div' | 'pow'>(type: T, f: (a: number, b: number) => number): OpDef<T> {
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

/** Elementwise difference (ONNX Sub, broadcasting). */
export const sub = binary('sub', (a, b) => a - b);

/** Elementwise quotient (ONNX Div, broadcasting): x / 0 = +-inf, 0 / 0 = NaN. */
export const div = binary('div', (a, b) => a / b);

/**
 * a ** b (ONNX Pow, broadcasting) with C's (and so NumPy's and PyTorch's) rules where
 * JavaScript's differ: pow(1, NaN) = 1 and pow(-1, +-inf) = 1 (Math.pow gives NaN for both).
 * A negative base with a non-integer exponent is NaN in both.
 */
export const pow = binary('pow', powC);

/** C's pow over Math.pow. */
export function powC(a: number, b: number): number {
  if (a === 1 || b === 0) return 1;
  if (a === -1 && (b === Infinity || b === -Infinity)) return 1;
  return Math.pow(a, b);
}

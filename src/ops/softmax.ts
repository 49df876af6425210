import { AttributeError, ShapeError } from '../graph/errors.js';
import type { Shape } from '../graph/graph.js';
import { elements, isInt, type OpDef } from './op.js';

/**
 * Softmax along `axis` (default 1, the class axis). With `coerce2d` (ONNX before opset 13)
 * the tensor is seen as 2-D, [prod(shape[:axis]), prod(shape[axis:])], and each row is
 * normalised. A row holding NaN or +Infinity (inf - inf), or only -Infinity, is all NaN; a
 * -Infinity elsewhere gives 0: as PyTorch's softmax.
 */
export const softmax: OpDef<'softmax'> = {
  type: 'softmax',
  arity: [1, 1],
  elementwise: true,
  inplace: true,
  attrs(node) {
    const { axis = 1, coerce2d } = node.attrs as { axis?: unknown; coerce2d?: unknown };
    if (!isInt(axis) || axis < 0) throw new AttributeError(node.name, 'axis', 'an integer >= 0', axis);
    return { axis, coerce2d: coerce2d === true };
  },
  inferShapes(node, [x]) {
    const axis = (node.attrs as { axis?: number }).axis ?? 1;
    if (!isInt(axis) || axis < 0 || axis >= Math.max(1, x.length)) throw new ShapeError(node.name, `axis in [0, ${x.length - 1}]`, axis, 'axis');
    return [x];
  },
  // exp, sum, divide.
  cost: (_node, _in, [y]) => ({ macs: 0, flops: 0, elementwiseFlops: 3 * elements(y) }),
  reference(node, [x], [y]) {
    const { axis = 1, coerce2d = false } = node.attrs as { axis?: number; coerce2d?: boolean };
    const [outer, len, inner] = softmaxLayout(x.shape, axis, coerce2d);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const at = (k: number) => (o * len + k) * inner + i;
        let max = -Infinity;
        for (let k = 0; k < len; k++) max = Math.max(max, x.data[at(k)]);
        let sum = 0;
        for (let k = 0; k < len; k++) sum += Math.exp(x.data[at(k)] - max);
        for (let k = 0; k < len; k++) y.data[at(k)] = Math.exp(x.data[at(k)] - max) / sum;
      }
    }
  },
};

/** [outer, axis length, inner] of a softmax. */
export function softmaxLayout(shape: Shape, axis: number, coerce2d: boolean): [number, number, number] {
  const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
  if (coerce2d) return [prod(shape.slice(0, axis)), prod(shape.slice(axis)), 1];
  return [prod(shape.slice(0, axis)), shape[axis] ?? 1, prod(shape.slice(axis + 1))];
}

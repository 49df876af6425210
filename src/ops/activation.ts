import { AttributeError } from '../graph/errors.js';
import type { Node, OpType, Shape } from '../graph/graph.js';
import { elements, type OpDef } from './op.js';

function unary(type: OpType, flopsPerElement: number, validate: (node: Node) => void = () => {}): OpDef {
  return {
    type,
    arity: [1, 1],
    elementwise: true,
    inplace: true,
    validate,
    inferShapes: (_node, [x]) => [x],
    cost: (_node, _in, [y]: readonly Shape[]) => ({ macs: 0, flops: 0, elementwiseFlops: flopsPerElement * elements(y) }),
  };
}

/** max(x, 0) */
export const relu = unary('relu', 1);

/** min(max(x, min), max); ReLU6 is clip(0, 6). */
export const clip = unary('clip', 1, (node) => {
  const { min, max } = node.attrs as { min?: unknown; max?: unknown };
  if (typeof min !== 'number' || typeof max !== 'number' || Number.isNaN(min) || Number.isNaN(max) || min > max) {
    throw new AttributeError(node.name, 'min/max', 'two numbers with min <= max', [min, max]);
  }
});

/** Hyperbolic tangent (LeNet-5). */
export const tanh = unary('tanh', 1);

/** Logistic sigmoid. */
export const sigmoid = unary('sigmoid', 1);

/** Dropout is the identity at inference: no work, no memory. */
export const dropout = unary('dropout', 0);

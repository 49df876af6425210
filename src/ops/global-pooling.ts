import type { Node, Shape } from '../graph/graph.js';
import { elements, expectNCHW, type OpDef } from './op.js';

function globalShapes(node: Node, [x]: readonly Shape[]): Shape[] {
  const [n, c] = expectNCHW(node, x);
  return [[n, c, 1, 1]];
}

/** Global pooling reads the whole input window: one FLOP per input element. */
function globalCost(_node: Node, [x]: readonly Shape[]) {
  return { macs: 0, flops: elements(x), elementwiseFlops: 0 };
}

/** Global average pooling: [N, C, H, W] -> [N, C, 1, 1]. */
export const globalavgpool: OpDef = {
  type: 'globalavgpool',
  arity: [1, 1],
  elementwise: false,
  inplace: false,
  validate() {},
  inferShapes: globalShapes,
  cost: globalCost,
};

/** Global max pooling: [N, C, H, W] -> [N, C, 1, 1]. */
export const globalmaxpool: OpDef = { ...globalavgpool, type: 'globalmaxpool' };

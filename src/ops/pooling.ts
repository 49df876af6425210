import type { Node, Shape } from '../graph/graph.js';
import { elements, expectNCHW, type OpDef } from './op.js';
import { windowAttrs, windowOutput } from './window.js';

function poolShapes(node: Node, [x]: readonly Shape[]): Shape[] {
  const [n, c, h, w] = expectNCHW(node, x);
  const [oh, ow] = windowOutput(node, windowAttrs(node), h, w);
  return [[n, c, oh, ow]];
}

/** Pooling FLOPs, as the lecture counts them: one per window element per output. */
function poolCost(node: Node, _in: readonly Shape[], [y]: readonly Shape[]) {
  const [kh, kw] = windowAttrs(node).kernel;
  return { macs: 0, flops: elements(y) * kh * kw, elementwiseFlops: 0 };
}

/** Max pooling: kernel, stride, pads, dilation, ceilMode. Padding never wins the max. */
export const maxpool: OpDef = {
  type: 'maxpool',
  arity: [1, 1],
  elementwise: false,
  inplace: false,
  validate: (node) => void windowAttrs(node),
  inferShapes: poolShapes,
  cost: poolCost,
};

/**
 * Average pooling: as maxpool, plus countIncludePad (whether padded zeros count in the
 * divisor; PyTorch's default is true, ONNX's is false).
 */
export const avgpool: OpDef = {
  type: 'avgpool',
  arity: [1, 1],
  elementwise: false,
  inplace: false,
  validate: (node) => void windowAttrs(node),
  inferShapes: poolShapes,
  cost: poolCost,
};

import { elements, expectNCHW, intAttr, numAttr, type OpDef } from './op.js';

/**
 * Local response normalisation across channels (AlexNet, GoogLeNet), as ONNX and PyTorch
 * define it: y = x / (bias + alpha/size * sum over a window of `size` channels of x^2)^beta.
 */
export const lrn: OpDef = {
  type: 'lrn',
  arity: [1, 1],
  elementwise: true,
  inplace: false,
  validate(node) {
    intAttr(node, 'size', 1);
    numAttr(node, 'alpha', () => true, 'a finite number');
    numAttr(node, 'beta', () => true, 'a finite number');
    numAttr(node, 'bias', () => true, 'a finite number');
  },
  inferShapes(node, [x]) {
    expectNCHW(node, x);
    return [x];
  },
  // size squares-and-adds per output, then a scale, a power and a divide.
  cost: (node, _in, [y]) => ({ macs: 0, flops: 0, elementwiseFlops: (2 * intAttr(node, 'size', 1) + 3) * elements(y) }),
};

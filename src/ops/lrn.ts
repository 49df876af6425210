import { elements, expectNCHW, intAttr, numAttr, type OpDef } from './op.js';

/**
 * Local response normalisation across channels (AlexNet, GoogLeNet), as ONNX and PyTorch
 * define it: y = x / (bias + alpha/size * sum over a window of `size` channels of x^2)^beta.
 * Non-finite values follow the formula: a NaN in a channel's window makes it NaN, an infinity
 * makes its neighbours 0 and itself NaN (inf / inf), as PyTorch's local_response_norm gives.
 */
export const lrn: OpDef<'lrn'> = {
  type: 'lrn',
  arity: [1, 1],
  elementwise: true,
  inplace: false,
  attrs: (node) => ({
    size: intAttr(node, 'size', 1),
    alpha: numAttr(node, 'alpha', () => true, 'a finite number'),
    beta: numAttr(node, 'beta', () => true, 'a finite number'),
    bias: numAttr(node, 'bias', () => true, 'a finite number'),
  }),
  inferShapes(node, [x]) {
    expectNCHW(node, x);
    return [x];
  },
  // size squares-and-adds per output, then a scale, a power and a divide.
  cost: (node, _in, [y]) => ({ macs: 0, flops: 0, elementwiseFlops: (2 * intAttr(node, 'size', 1) + 3) * elements(y) }),
  reference(node, [x], [y]) {
    const { size, alpha, beta, bias } = node.attrs as { size: number; alpha: number; beta: number; bias: number };
    const [N, C, H, W] = x.shape;
    const hw = H * W;
    const before = Math.floor((size - 1) / 2);
    const after = Math.ceil((size - 1) / 2);
    for (let n = 0; n < N; n++) {
      for (let c = 0; c < C; c++) {
        for (let i = 0; i < hw; i++) {
          let sq = 0;
          for (let k = Math.max(0, c - before); k <= Math.min(C - 1, c + after); k++) {
            const v = x.data[(n * C + k) * hw + i];
            sq += v * v;
          }
          const at = (n * C + c) * hw + i;
          y.data[at] = x.data[at] / Math.pow(bias + (alpha / size) * sq, beta);
        }
      }
    }
  },
};

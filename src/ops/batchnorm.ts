import { ShapeError } from '../graph/errors.js';
import { elements, numAttr, type OpDef } from './op.js';

/**
 * Batch normalisation at inference. Inputs: x [N, C, ...], scale, bias, mean, var (each
 * [C]); attribute epsilon. Scale and bias are trainable parameters; mean and var are
 * running statistics, not parameters (as PyTorch counts them). Folded into the preceding
 * conv by the planner.
 */
export const batchnorm: OpDef<'batchnorm'> = {
  type: 'batchnorm',
  arity: [5, 5],
  elementwise: true,
  inplace: true,
  attrs: (node) => ({ epsilon: numAttr(node, 'epsilon', (v) => v >= 0, 'a number >= 0') }),
  inferShapes(node, [x, ...stats]) {
    if (x.length < 2) throw new ShapeError(node.name, 'input of shape [N, C, ...]', x);
    for (const s of stats) {
      if (s.length !== 1 || s[0] !== x[1]) throw new ShapeError(node.name, `statistics of shape [${x[1]}]`, s);
    }
    return [x];
  },
  // y = x * a + b once folded: two per element.
  cost: (_node, _in, [y]) => ({ macs: 0, flops: 0, elementwiseFlops: 2 * elements(y) }),
  reference(node, [x, scale, bias, mean, variance], [y]) {
    const eps = (node.attrs as { epsilon: number }).epsilon;
    const [N, C] = x.shape;
    const inner = x.data.length / (N * C);
    for (let n = 0; n < N; n++) {
      for (let c = 0; c < C; c++) {
        const a = scale.data[c] / Math.sqrt(variance.data[c] + eps);
        const b = bias.data[c] - mean.data[c] * a;
        const base = (n * C + c) * inner;
        for (let i = 0; i < inner; i++) y.data[base + i] = x.data[base + i] * a + b;
      }
    }
  },
};

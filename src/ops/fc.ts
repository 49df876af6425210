import { ShapeError } from '../graph/errors.js';
import { activationFn, fusedActivation } from './fused-activation.js';
import { type OpDef } from './op.js';

/**
 * Fully connected: x [N, Cin], weight [Cout, Cin] (PyTorch's Linear layout, ONNX Gemm with
 * transB=1), optional bias [Cout] -> [N, Cout].
 */
export const fc: OpDef<'fc'> = {
  type: 'fc',
  arity: [2, 3],
  elementwise: false,
  inplace: false,
  attrs(node) {
    const activation = fusedActivation(node);
    return activation ? { activation } : {};
  },
  inferShapes(node, [x, w, b]) {
    if (x.length !== 2) throw new ShapeError(node.name, 'input of shape [N, features] (flatten first)', x);
    if (w.length !== 2 || w[1] !== x[1]) throw new ShapeError(node.name, `weight of shape [Cout, ${x[1]}]`, w);
    if (b && (b.length !== 1 || b[0] !== w[0])) throw new ShapeError(node.name, `bias of shape [${w[0]}]`, b);
    return [[x[0], w[0]]];
  },
  cost(node, [x, w]) {
    const macs = x[0] * w[0] * w[1];
    return { macs, flops: 2 * macs, elementwiseFlops: fusedActivation(node) ? x[0] * w[0] : 0 };
  },
  reference(node, [x, w, b], [y]) {
    const act = activationFn(fusedActivation(node));
    const [N, K] = x.shape;
    const M = w.shape[0];
    const [xd, wd] = [x.data, w.data];
    for (let n = 0; n < N; n++) {
      const xRow = n * K;
      for (let m = 0; m < M; m++) {
        const wRow = m * K;
        let sum = b ? b.data[m] : 0;
        for (let k = 0; k < K; k++) sum += xd[xRow + k] * wd[wRow + k];
        y.data[n * M + m] = act(sum);
      }
    }
  },
};

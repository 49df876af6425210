import { ShapeError } from '../graph/errors.js';
import { broadcastShapes, broadcastStrides } from './broadcast.js';
import type { GemmAttrs } from './attrs.js';
import { numAttr, type OpDef } from './op.js';


/**
 * General matrix product Y = alpha * A' B' + beta * C (ONNX Gemm, and MatMul of two 2-D
 * tensors). A fully connected layer with constant weights is imported as `fc` instead;
 * `gemm` covers the rest (a transposed A, a computed B).
 */
export const gemm: OpDef<'gemm'> = {
  type: 'gemm',
  arity: [2, 3],
  elementwise: false,
  inplace: false,
  attrs(node) {
    const a = node.attrs as Partial<Record<keyof GemmAttrs, unknown>>;
    const num = (k: 'alpha' | 'beta') => (a[k] === undefined ? 1 : numAttr(node, k, () => true, 'a finite number'));
    return { alpha: num('alpha'), beta: num('beta'), transA: a.transA === true, transB: a.transB === true };
  },
  inferShapes(node, [a, b, c]) {
    const { transA, transB } = node.attrs as unknown as GemmAttrs;
    if (a.length !== 2 || b.length !== 2) throw new ShapeError(node.name, '2-D inputs A and B', `[${a.join(', ')}] and [${b.join(', ')}]`);
    const [M, K] = transA ? [a[1], a[0]] : [a[0], a[1]];
    const [K2, N] = transB ? [b[1], b[0]] : [b[0], b[1]];
    if (K !== K2) throw new ShapeError(node.name, `B with ${K} rows to match A's ${K} columns`, K2);
    if (c) {
      const bc = broadcastShapes(node, c, [M, N]);
      if (bc.length !== 2 || bc[0] !== M || bc[1] !== N) throw new ShapeError(node.name, `C broadcastable to [${M}, ${N}]`, c);
    }
    return [[M, N]];
  },
  cost(node, [a, b]) {
    const { transA, transB } = node.attrs as unknown as GemmAttrs;
    const [M, K] = transA ? [a[1], a[0]] : [a[0], a[1]];
    const N = transB ? b[0] : b[1];
    return { macs: M * N * K, flops: 2 * M * N * K, elementwiseFlops: 0 };
  },
  reference(node, [a, b, c], [y]) {
    const { alpha, beta, transA, transB } = node.attrs as unknown as GemmAttrs;
    const [M, N] = y.shape;
    const K = transA ? a.shape[0] : a.shape[1];
    const cs = c ? broadcastStrides(c.shape, [M, N]) : [0, 0];
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let sum = 0;
        for (let k = 0; k < K; k++) {
          const av = transA ? a.data[k * M + m] : a.data[m * K + k];
          const bv = transB ? b.data[n * K + k] : b.data[k * N + n];
          sum += av * bv;
        }
        y.data[m * N + n] = alpha * sum + (c ? beta * c.data[m * cs[0] + n * cs[1]] : 0);
      }
    }
  },
};

import { ShapeError } from '../graph/errors.js';
import type { Node, Shape } from '../graph/graph.js';
import { broadcastShape, broadcastStrides } from './broadcast.js';
import { elements, type OpDef } from './op.js';

/**
 * The loops of an N-d matrix product, as numpy.matmul: a 1-D A is a row [1, K] and a 1-D B a
 * column [K, 1] (their unit axis dropped from the output), the batch axes (all but the last
 * two) broadcast. `aBatch`/`bBatch` are each batch's offset into A / B, in elements.
 */
export interface MatmulLayout {
  readonly M: number;
  readonly N: number;
  readonly K: number;
  readonly out: number[];
  readonly aBatch: number[];
  readonly bBatch: number[];
}

export function matmulLayout(node: Node | string, a: Shape, b: Shape): MatmulLayout {
  const name = typeof node === 'string' ? node : node.name;
  if (a.length === 0 || b.length === 0) throw new ShapeError(name, 'inputs of rank 1 or more', `[${a.join(', ')}] and [${b.join(', ')}]`);
  const a2 = a.length === 1 ? [1, a[0]] : a;
  const b2 = b.length === 1 ? [b[0], 1] : b;
  const [M, K] = a2.slice(-2);
  const [K2, N] = b2.slice(-2);
  if (K !== K2) throw new ShapeError(name, `B with ${K} rows to match A's ${K} columns`, `[${b.join(', ')}]`);
  const ab = a2.slice(0, -2);
  const bb = b2.slice(0, -2);
  const batch = broadcastShape(ab, bb);
  if (!batch) throw new ShapeError(name, `batch axes that broadcast, [${ab.join(', ')}] and [${bb.join(', ')}]`, `[${b.join(', ')}]`);
  const sa = broadcastStrides(ab, batch);
  const sb = broadcastStrides(bb, batch);
  const aBatch: number[] = [];
  const bBatch: number[] = [];
  const total = elements(batch);
  for (let i = 0; i < total; i++) {
    let rest = i;
    let oa = 0;
    let ob = 0;
    for (let d = batch.length - 1; d >= 0; d--) {
      const idx = rest % batch[d];
      rest = Math.floor(rest / batch[d]);
      oa += idx * sa[d];
      ob += idx * sb[d];
    }
    aBatch.push(oa * M * K);
    bBatch.push(ob * K * N);
  }
  const out = [...batch, ...(a.length === 1 ? [] : [M]), ...(b.length === 1 ? [] : [N])];
  return { M, N, K, out, aBatch, bBatch };
}

/**
 * Matrix product of N-d tensors with NumPy broadcasting of the batch axes (ONNX MatMul of
 * computed tensors; a constant 2-D weight is imported as `fc`).
 */
export const matmul: OpDef<'matmul'> = {
  type: 'matmul',
  arity: [2, 2],
  elementwise: false,
  inplace: false,
  attrs: () => ({}),
  inferShapes: (node, [a, b]) => [matmulLayout(node, a, b).out],
  cost(node, [a, b]) {
    const { M, N, K, aBatch } = matmulLayout(node, a, b);
    const macs = aBatch.length * M * N * K;
    return { macs, flops: 2 * macs, elementwiseFlops: 0 };
  },
  reference(node, [a, b], [y]) {
    const { M, N, K, aBatch, bBatch } = matmulLayout(node, a.shape, b.shape);
    for (let t = 0; t < aBatch.length; t++) {
      for (let m = 0; m < M; m++) {
        for (let n = 0; n < N; n++) {
          let sum = 0;
          for (let k = 0; k < K; k++) sum += a.data[aBatch[t] + m * K + k] * b.data[bBatch[t] + k * N + n];
          y.data[(t * M + m) * N + n] = sum;
        }
      }
    }
  },
};

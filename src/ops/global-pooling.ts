import type { Node, Shape } from '../graph/graph.js';
import { elements, expectNCHW, type OpDef, type TensorView } from './op.js';

function globalShapes(node: Node, [x]: readonly Shape[]): Shape[] {
  const [n, c] = expectNCHW(node, x);
  return [[n, c, 1, 1]];
}

/** Global pooling reads the whole input window: one FLOP per input element. */
function globalCost(_node: Node, [x]: readonly Shape[]) {
  return { macs: 0, flops: elements(x), elementwiseFlops: 0 };
}

function globalReduce(x: TensorView, y: TensorView, init: number, f: (acc: number, v: number) => number, finish: (acc: number, n: number) => number) {
  const [N, C, H, W] = x.shape;
  const hw = H * W;
  for (let nc = 0; nc < N * C; nc++) {
    let acc = init;
    for (let i = 0; i < hw; i++) acc = f(acc, x.data[nc * hw + i]);
    y.data[nc] = finish(acc, hw);
  }
}

/** Global average pooling: [N, C, H, W] -> [N, C, 1, 1]. */
export const globalavgpool: OpDef<'globalavgpool'> = {
  type: 'globalavgpool',
  arity: [1, 1],
  elementwise: false,
  inplace: false,
  attrs: () => ({}),
  inferShapes: globalShapes,
  cost: globalCost,
  reference: (_node, [x], [y]) => globalReduce(x, y, 0, (a, v) => a + v, (a, n) => a / n),
};

/** Global max pooling: [N, C, H, W] -> [N, C, 1, 1]; a NaN in the plane wins (Math.max, as PyTorch). */
export const globalmaxpool: OpDef<'globalmaxpool'> = {
  ...globalavgpool,
  type: 'globalmaxpool',
  reference: (_node, [x], [y]) => globalReduce(x, y, -Infinity, Math.max, (a) => a),
};

import { GraphError } from '../graph/errors.js';
import type { OpType } from '../graph/graph.js';
import { clip, dropout, identity, leakyrelu, relu, sigmoid, tanh } from './activation.js';
import { add, mul } from './add.js';
import { div, pow, sub } from './add.js';
import { erf, gelu, hardsigmoid, hardswish, qdq, silu, sqrt } from './activation.js';
import { batchnorm } from './batchnorm.js';
import { concat } from './concat.js';
import { conv2d } from './conv2d.js';
import { fc } from './fc.js';
import { flatten } from './flatten.js';
import { gemm } from './gemm.js';
import { globalavgpool, globalmaxpool } from './global-pooling.js';
import { lrn } from './lrn.js';
import { layernorm } from './layernorm.js';
import { matmul } from './matmul.js';
import { reducemax, reducemean, reducesum } from './reduce.js';
import type { OpDef } from './op.js';
import { pad } from './pad.js';
import { avgpool, maxpool } from './pooling.js';
import { reshape } from './reshape.js';
import { softmax } from './softmax.js';
import { transpose } from './transpose.js';
import { slice } from './slice.js';
import { channelshuffle } from './channel-shuffle.js';
import { invertedresidual } from './inverted-residual.js';
import { qconv2d } from './qconv2d.js';

const ALL: readonly OpDef[] = [
  conv2d, maxpool, avgpool, globalavgpool, globalmaxpool, fc, gemm, flatten, reshape, pad,
  relu, clip, leakyrelu, tanh, sigmoid, lrn, batchnorm, add, mul, concat, softmax, dropout, identity,
  transpose, slice, channelshuffle,
  hardsigmoid, hardswish, silu, gelu, erf, sqrt, qdq, sub, div, pow,
  reducemean, reducesum, reducemax, layernorm, matmul,
  invertedresidual, qconv2d,
];

const BY_TYPE = new Map<string, OpDef>(ALL.map((d) => [d.type, d]));

/** The declaration of an op of the IR. */
export function opDef(type: OpType | string): OpDef {
  const d = BY_TYPE.get(type);
  if (!d) throw new GraphError(`unknown op type '${type}'`);
  return d;
}

export const OP_TYPES: readonly OpType[] = ALL.map((d) => d.type);

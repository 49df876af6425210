/** The op table of the ONNX importer: every ONNX op type (default domain) webconv imports. */
import type { OpHandler } from '../step.js';
import { clip, leakyRelu, relu, sigmoid, softmax, tanh } from './activations.js';
import { averagePool, conv, globalAveragePool, globalMaxPool, maxPool } from './conv-pool.js';
import { add, div, mul, sub } from './elementwise.js';
import { gemm, matmul } from './gemm.js';
import { concat, flatten, pad, reshape, squeeze, unsqueeze } from './layout.js';
import { batchnorm, lrn } from './normalization.js';
import { dropout, identity } from './passthrough.js';
import { cast, constant, constantOfShape, gather, shape, slice } from './shape-plumbing.js';

export const HANDLERS: Readonly<Record<string, OpHandler>> = {
  Conv: conv,
  MaxPool: maxPool,
  AveragePool: averagePool,
  GlobalAveragePool: globalAveragePool,
  GlobalMaxPool: globalMaxPool,
  Gemm: gemm,
  MatMul: matmul,
  Flatten: flatten,
  Reshape: reshape,
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Relu: relu,
  Sigmoid: sigmoid,
  Tanh: tanh,
  LeakyRelu: leakyRelu,
  Clip: clip,
  LRN: lrn,
  BatchNormalization: batchnorm,
  Add: add,
  Mul: mul,
  Sub: sub,
  Div: div,
  Concat: concat,
  Softmax: softmax,
  Dropout: dropout,
  Identity: identity,
  Pad: pad,
  Constant: constant,
  ConstantOfShape: constantOfShape,
  Shape: shape,
  Gather: gather,
  Slice: slice,
  Cast: cast,
};

/** The handler of a default-domain op type; undefined for one webconv does not import. */
export function handlerFor(opType: string): OpHandler | undefined {
  return Object.hasOwn(HANDLERS, opType) ? HANDLERS[opType] : undefined;
}

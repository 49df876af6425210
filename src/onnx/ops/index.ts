/** The op tables of the ONNX importer: every ONNX op type webconv imports, by domain. */
import type { OpHandler } from '../step.js';
import { clip, leakyRelu, relu, sigmoid, softmax, tanh } from './activations.js';
import { averagePool, conv, globalAveragePool, globalMaxPool, maxPool } from './conv-pool.js';
import { add, div, mul, sub } from './elementwise.js';
import { pow } from './elementwise.js';
import { erf, gelu, hardSigmoid, hardSwish, sqrt } from './activations.js';
import { gemm, matmul } from './gemm.js';
import { concat, flatten, pad, reshape, split, squeeze, transpose, unsqueeze } from './layout.js';
import { batchnorm, layerNormalization, lrn } from './normalization.js';
import { reduceMax, reduceMean, reduceSum } from './reduce.js';
import { dropout, identity } from './passthrough.js';
import { cast, constant, constantOfShape, gather, shape, slice } from './shape-plumbing.js';
import { dequantizeLinear, quantizeLinear } from './quantize.js';
import { qgemm, qlinearAdd, qlinearConv, qlinearGlobalAveragePool, qlinearMatMul } from './qlinear.js';

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
  LayerNormalization: layerNormalization,
  ReduceMean: reduceMean,
  ReduceSum: reduceSum,
  ReduceMax: reduceMax,
  BatchNormalization: batchnorm,
  Add: add,
  Mul: mul,
  Sub: sub,
  Div: div,
  Pow: pow,
  HardSigmoid: hardSigmoid,
  HardSwish: hardSwish,
  Erf: erf,
  Sqrt: sqrt,
  Gelu: gelu,
  Concat: concat,
  Softmax: softmax,
  Dropout: dropout,
  Identity: identity,
  Pad: pad,
  Transpose: transpose,
  Split: split,
  Constant: constant,
  ConstantOfShape: constantOfShape,
  Shape: shape,
  Gather: gather,
  Slice: slice,
  Cast: cast,
  QuantizeLinear: quantizeLinear,
  DequantizeLinear: dequantizeLinear,
  QLinearConv: qlinearConv,
  QLinearMatMul: qlinearMatMul,
};

/** The com.microsoft op types onnxruntime's quantizer writes in the QOperator form (./qlinear.ts). */
export const MICROSOFT_HANDLERS: Readonly<Record<string, OpHandler>> = {
  QLinearAdd: qlinearAdd,
  QLinearGlobalAveragePool: qlinearGlobalAveragePool,
  QGemm: qgemm,
};

/** Whether `domain` names the default ONNX domain. */
export const isDefaultDomain = (domain: string) => domain === '' || domain === 'ai.onnx';

/** The handler of an op type of `domain`; undefined for one webconv does not import. */
export function handlerFor(domain: string, opType: string): OpHandler | undefined {
  const table = isDefaultDomain(domain) ? HANDLERS : domain === 'com.microsoft' ? MICROSOFT_HANDLERS : undefined;
  return table && Object.hasOwn(table, opType) ? table[opType] : undefined;
}

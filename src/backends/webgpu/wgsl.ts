/**
 * WGSL sources by kernel family. The text lives in kernels/*.wgsl and is embedded as
 * strings in shaders/*.ts by scripts/embed-wgsl.mjs (run by `npm run build`), so shaders
 * load the same way in Node, browsers and workers, with no fetch. kernels/common.wgsl (the
 * fused activations, the grid index) is prepended to every kernel.
 */
import { BINARY_WGSL, binaryConstants } from './shaders/binary.js';
import { BOTTLENECK_WGSL } from './shaders/bottleneck.js';
import { COMMON_WGSL } from './shaders/common.js';
import { COPY_WGSL } from './shaders/copy.js';
import { GATHER_WGSL } from './shaders/gather.js';
import { CONV2D_WGSL } from './shaders/conv2d.js';
import { CONV2D_DIRECT_WGSL } from './shaders/conv2d-direct.js';
import { ELEMENTWISE_WGSL, elementwiseConstants } from './shaders/elementwise.js';
import { FC_WGSL } from './shaders/fc.js';
import { PEAK_WGSL } from './shaders/peak.js';
import { GEMM_WGSL } from './shaders/gemm.js';
import { GLOBAL_POOL_WGSL, globalPoolConstants } from './shaders/global-pool.js';
import { LRN_WGSL } from './shaders/lrn.js';
import { PAD_WGSL } from './shaders/pad.js';
import { QCONV2D_WGSL } from './shaders/qconv2d.js';
import { POOL_WGSL, poolConstants } from './shaders/pool.js';
import { SOFTMAX_WGSL } from './shaders/softmax.js';
import { LAYERNORM_WGSL } from './shaders/layernorm.js';
import { REDUCE_WGSL } from './shaders/reduce.js';
import { WINOGRAD_WGSL } from './shaders/winograd.js';
import { WINOGRAD_GEMM_WGSL } from './shaders/winograd-gemm.js';

const SOURCES = {
  binary: BINARY_WGSL,
  bottleneck: BOTTLENECK_WGSL,
  conv2d: CONV2D_WGSL,
  'conv2d-direct': CONV2D_DIRECT_WGSL,
  copy: COPY_WGSL,
  gather: GATHER_WGSL,
  elementwise: ELEMENTWISE_WGSL,
  fc: FC_WGSL,
  peak: PEAK_WGSL,
  gemm: GEMM_WGSL,
  'global-pool': GLOBAL_POOL_WGSL,
  lrn: LRN_WGSL,
  pad: PAD_WGSL,
  pool: POOL_WGSL,
  qconv2d: QCONV2D_WGSL,
  softmax: SOFTMAX_WGSL,
  layernorm: LAYERNORM_WGSL,
  reduce: REDUCE_WGSL,
  winograd: WINOGRAD_WGSL,
  'winograd-gemm': WINOGRAD_GEMM_WGSL,
} as const;

/** A kernel family: the name of its file in kernels/. */
export type WgslKernel = keyof typeof SOURCES;

/** The WGSL language extension of dot4I8Packed, which kernels/qconv2d.wgsl calls where the adapter has it. */
export const PACKED_DOT = 'packed_4x8_integer_dot_product';

/**
 * The WGSL source of a kernel family, kernels/common.wgsl included. Without `packedDot`
 * (the adapter lacks {@link PACKED_DOT}), calls of dot4I8Packed become the kernel's own
 * dot4I8Unpacked: the same sums, from unpacked bytes.
 */
export function wgslSource(kernel: WgslKernel, { packedDot = true }: { packedDot?: boolean } = {}): string {
  const source = `${COMMON_WGSL}\n${SOURCES[kernel]}`;
  return packedDot ? source : source.replace(/\bdot4I8Packed\(/g, 'dot4I8Unpacked(');
}

/** Whether a kernel family calls dot4I8Packed (its source differs without {@link PACKED_DOT}). */
export const callsPackedDot = (kernel: WgslKernel): boolean => SOURCES[kernel].includes('dot4I8Packed(');

/** The fused-activation codes of kernels/common.wgsl (a conv's or fc's `act` uniform): one table for both backends. */
export { ACTIVATION_CODES as ACT } from '../params.js';

/** The op codes of kernels/elementwise.wgsl (its `OP` override constant). */
export const ELEMENTWISE_OP = {
  relu: elementwiseConstants.OP_RELU,
  clip: elementwiseConstants.OP_CLIP,
  leakyrelu: elementwiseConstants.OP_LEAKYRELU,
  tanh: elementwiseConstants.OP_TANH,
  sigmoid: elementwiseConstants.OP_SIGMOID,
  batchnorm: elementwiseConstants.OP_BATCHNORM,
  hardsigmoid: elementwiseConstants.OP_HARDSIGMOID,
  hardswish: elementwiseConstants.OP_HARDSWISH,
  silu: elementwiseConstants.OP_SILU,
  gelu: elementwiseConstants.OP_GELU,
  erf: elementwiseConstants.OP_ERF,
  sqrt: elementwiseConstants.OP_SQRT,
  qdq: elementwiseConstants.OP_QDQ,
} as const;

export type ElementwiseOp = keyof typeof ELEMENTWISE_OP;

/** The op codes of kernels/binary.wgsl (its `OP` override). */
export const BINARY_OP = {
  add: binaryConstants.BINARY_ADD,
  mul: binaryConstants.BINARY_MUL,
  sub: binaryConstants.BINARY_SUB,
  div: binaryConstants.BINARY_DIV,
  pow: binaryConstants.BINARY_POW,
} as const;

/** The op codes of kernels/pool.wgsl (its `OP` override). */
export const POOL_OP = { maxpool: poolConstants.POOL_MAX, avgpool: poolConstants.POOL_AVG } as const;

/** The op codes of kernels/global-pool.wgsl (its `OP` override). */
export const GLOBAL_POOL_OP = { globalavgpool: globalPoolConstants.GLOBAL_AVG, globalmaxpool: globalPoolConstants.GLOBAL_MAX } as const;

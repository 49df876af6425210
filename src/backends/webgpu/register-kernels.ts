import type { OpType } from '../../graph/graph.js';
import type { GpuKernel } from './kernel.js';
import { addKernel, mulKernel } from './kernels/binary.js';
import { divKernel, powKernel, subKernel } from './kernels/binary.js';
import { erfKernel, geluKernel, hardsigmoidKernel, hardswishKernel, siluKernel, sqrtKernel, qdqKernel } from './kernels/elementwise.js';
import { conv2dKernel } from './kernels/conv2d.js';
import { invertedresidualKernel } from './kernels/bottleneck.js';
import { concatKernel, dropoutKernel, flattenKernel, identityKernel, reshapeKernel } from './kernels/copy.js';
import { batchnormKernel, clipKernel, leakyreluKernel, reluKernel, sigmoidKernel, tanhKernel } from './kernels/elementwise.js';
import { fcKernel } from './kernels/fc.js';
import { gemmKernel } from './kernels/gemm.js';
import { lrnKernel, softmaxKernel } from './kernels/normalization.js';
import { layernormKernel } from './kernels/layernorm.js';
import { matmulKernel } from './kernels/matmul.js';
import { reducemaxKernel, reducemeanKernel, reducesumKernel } from './kernels/reduce.js';
import { padKernel } from './kernels/pad.js';
import { qconv2dKernel } from './kernels/qconv2d.js';
import { channelshuffleKernel, sliceKernel, transposeKernel } from './kernels/layout.js';
import { avgpoolKernel, globalavgpoolKernel, globalmaxpoolKernel, maxpoolKernel } from './kernels/pooling.js';

/** Every op the WebGPU backend has a kernel for. */
export const GPU_KERNELS: ReadonlyMap<OpType, GpuKernel> = new Map(
  [
    addKernel, avgpoolKernel, batchnormKernel, clipKernel, concatKernel, conv2dKernel, dropoutKernel, fcKernel, flattenKernel,
    gemmKernel, globalavgpoolKernel, globalmaxpoolKernel, identityKernel, leakyreluKernel, lrnKernel, maxpoolKernel, mulKernel,
    padKernel, reluKernel, reshapeKernel, sigmoidKernel, softmaxKernel, tanhKernel,
    transposeKernel, sliceKernel, channelshuffleKernel,
    hardsigmoidKernel, hardswishKernel, siluKernel, geluKernel, erfKernel, sqrtKernel, qdqKernel, subKernel, divKernel, powKernel,
    layernormKernel, matmulKernel, reducemeanKernel, reducesumKernel, reducemaxKernel,
    invertedresidualKernel, qconv2dKernel,
  ].map((k) => [k.op, k]),
);

import type { OpType } from '../../graph/graph.js';
import type { WasmKernel } from './kernel.js';
import { clipKernel, leakyreluKernel, reluKernel, sigmoidKernel, tanhKernel } from './kernels/activation.js';
import { addKernel, mulKernel } from './kernels/add.js';
import { divKernel, powKernel, subKernel } from './kernels/add.js';
import { erfKernel, geluKernel, hardsigmoidKernel, hardswishKernel, siluKernel, sqrtKernel, qdqKernel } from './kernels/activation.js';
import { batchnormKernel } from './kernels/batchnorm.js';
import { concatKernel } from './kernels/concat.js';
import { conv2dKernel } from './kernels/conv2d.js';
import { invertedresidualKernel } from './kernels/bottleneck.js';
import { qconv2dKernel } from './kernels/qconv2d.js';
import { dropoutKernel, flattenKernel, identityKernel, reshapeKernel } from './kernels/copy.js';
import { fcKernel } from './kernels/fc.js';
import { gemmKernel } from './kernels/gemm.js';
import { globalavgpoolKernel, globalmaxpoolKernel } from './kernels/global-pooling.js';
import { lrnKernel } from './kernels/lrn.js';
import { padKernel } from './kernels/pad.js';
import { channelshuffleKernel, sliceKernel, transposeKernel } from './kernels/layout.js';
import { avgpoolKernel, maxpoolKernel } from './kernels/pooling.js';
import { softmaxKernel } from './kernels/softmax.js';
import { layernormKernel } from './kernels/layernorm.js';
import { matmulKernel } from './kernels/matmul.js';
import { reducemaxKernel, reducemeanKernel, reducesumKernel } from './kernels/reduce.js';

/** Every op the wasm backend has a kernel for. */
export const WASM_KERNELS: ReadonlyMap<OpType, WasmKernel> = new Map(
  [
    addKernel, avgpoolKernel, batchnormKernel, clipKernel, concatKernel, conv2dKernel, dropoutKernel, fcKernel,
    flattenKernel, gemmKernel, globalavgpoolKernel, globalmaxpoolKernel, identityKernel, leakyreluKernel, lrnKernel,
    maxpoolKernel, mulKernel, padKernel, reluKernel, reshapeKernel, sigmoidKernel, softmaxKernel, tanhKernel,
    layernormKernel, matmulKernel, reducemeanKernel, reducesumKernel, reducemaxKernel,
    transposeKernel, sliceKernel, channelshuffleKernel,
    invertedresidualKernel, qconv2dKernel,
    hardsigmoidKernel, hardswishKernel, siluKernel, geluKernel, erfKernel, sqrtKernel, qdqKernel, subKernel, divKernel, powKernel,
  ].map((k) => [k.op, k]),
);

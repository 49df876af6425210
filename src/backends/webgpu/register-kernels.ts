import type { OpType } from '../../graph/graph.js';
import type { GpuKernel } from './kernel.js';
import { conv2dKernel } from './kernels/conv2d.js';
import { concatKernel, dropoutKernel, flattenKernel, identityKernel, reshapeKernel } from './kernels/copy.js';
import { batchnormKernel, clipKernel, leakyreluKernel, reluKernel, sigmoidKernel, tanhKernel } from './kernels/elementwise.js';
import { fcKernel } from './kernels/fc.js';

/** Every op the WebGPU backend has a kernel for. */
export const GPU_KERNELS: ReadonlyMap<OpType, GpuKernel> = new Map(
  [
    batchnormKernel, clipKernel, concatKernel, conv2dKernel, dropoutKernel, fcKernel, flattenKernel, identityKernel,
    leakyreluKernel, reluKernel, reshapeKernel, sigmoidKernel, tanhKernel,
  ].map((k) => [k.op, k]),
);

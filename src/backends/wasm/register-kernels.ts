import type { OpType } from '../../graph/graph.js';
import type { WasmKernel } from './kernel.js';
import { conv2dKernel } from './kernels/conv2d.js';
import { fcKernel } from './kernels/fc.js';

/** Every op the wasm backend has a kernel for. */
export const WASM_KERNELS: ReadonlyMap<OpType, WasmKernel> = new Map(
  [conv2dKernel, fcKernel].map((k) => [k.op, k]),
);

/**
 * WGSL sources by kernel family. The text lives in kernels/*.wgsl and is embedded as
 * strings in shaders/*.ts by scripts/embed-wgsl.mjs (run it after editing a .wgsl file),
 * so shaders load the same way in Node, browsers and workers, with no fetch.
 */
import { ELEMENTWISE_WGSL, elementwiseConstants } from './shaders/elementwise.js';

const SOURCES = {
  elementwise: ELEMENTWISE_WGSL,
} as const;

/** A kernel family: the name of its file in kernels/. */
export type WgslKernel = keyof typeof SOURCES;

/** The WGSL source of a kernel family. */
export function wgslSource(kernel: WgslKernel): string {
  return SOURCES[kernel];
}

/** The op codes of kernels/elementwise.wgsl (its `OP` override constant). */
export const ELEMENTWISE_OP = {
  relu: elementwiseConstants.OP_RELU,
  clip: elementwiseConstants.OP_CLIP,
  leakyrelu: elementwiseConstants.OP_LEAKYRELU,
} as const;

export type ElementwiseOp = keyof typeof ELEMENTWISE_OP;

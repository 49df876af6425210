import type { OpType } from '../../../graph/graph.js';
import { sizeOf } from '../../../graph/graph.js';
import type { WasmKernel } from '../kernel.js';
import { copyParams } from '../params.generated.js';

/**
 * An op whose output holds the input's values unchanged (a view or the identity): nothing
 * to do when the planner put both at one offset (an in-place chain), else one copy.
 */
function copyKernel(op: OpType): WasmKernel {
  return {
    op,
    prepare(node, ctx) {
      const src = ctx.ptr(node.inputs[0]);
      const dst = ctx.ptr(node.outputs[0]);
      if (src === dst) return () => {};
      const bytes = sizeOf(ctx.graph.shape(node.outputs[0])) * 4;
      const p = ctx.params(copyParams({ src, dst, count: 1, bytes, srcStride: 0, dstStride: 0 }));
      const f = ctx.exports.xx_copy_blocks__wasm;
      return () => f(p);
    },
  };
}

/** dropout (the identity at inference): xx_copy_blocks__wasm or nothing. */
export const dropoutKernel = copyKernel('dropout');
/** identity: xx_copy_blocks__wasm or nothing. */
export const identityKernel = copyKernel('identity');
/** flatten: xx_copy_blocks__wasm or nothing. */
export const flattenKernel = copyKernel('flatten');
/** reshape: xx_copy_blocks__wasm or nothing. */
export const reshapeKernel = copyKernel('reshape');

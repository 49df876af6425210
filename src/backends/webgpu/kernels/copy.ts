import type { OpType } from '../../../graph/graph.js';
import { sizeOf } from '../../../graph/graph.js';
import { intAttr } from '../../../ops/op.js';
import { WORKGROUP_SIZE, type Dispatch, type GpuKernel, type GpuKernelContext } from '../kernel.js';
import { copyParams } from '../params.generated.js';

/** kernels/copy.wgsl: `outer` blocks of `inner` elements. */
export function copyDispatch(ctx: GpuKernelContext, outer: number, inner: number, x: number, xStride: number, y: number, yStride: number): Dispatch {
  return {
    kernel: 'copy',
    constants: { WORKGROUP_SIZE },
    params: copyParams({ outer, inner, x_off: x, x_stride: xStride, y_off: y, y_stride: yStride }),
    workgroups: ctx.grid(outer * inner, WORKGROUP_SIZE),
  };
}

/**
 * An op whose output holds the input's values unchanged (a view or the identity): nothing
 * to do when the planner put both at one offset, else one copy.
 */
function viewKernel(op: OpType): GpuKernel {
  return {
    op,
    prepare(node, ctx) {
      const x = ctx.offset(node.inputs[0]);
      const y = ctx.offset(node.outputs[0]);
      if (x === y) return [];
      const n = sizeOf(ctx.graph.shape(node.outputs[0]));
      return [copyDispatch(ctx, 1, n, x, 0, y, 0)];
    },
  };
}

export const identityKernel = viewKernel('identity');
export const dropoutKernel = viewKernel('dropout');
export const flattenKernel = viewKernel('flatten');
export const reshapeKernel = viewKernel('reshape');

/** concat: one block copy per input into its slot of the output. */
export const concatKernel: GpuKernel = {
  op: 'concat',
  prepare(node, ctx) {
    const axis = intAttr(node, 'axis', 0);
    const yShape = ctx.graph.shape(node.outputs[0]);
    const outer = yShape.slice(0, axis).reduce((a, b) => a * b, 1);
    const yInner = sizeOf(yShape) / outer;
    const y = ctx.offset(node.outputs[0]);
    let at = 0;
    return node.inputs.map((t) => {
      const inner = sizeOf(ctx.graph.shape(t)) / outer;
      const d = copyDispatch(ctx, outer, inner, ctx.offset(t), inner, y + at, yInner);
      at += inner;
      return d;
    });
  },
};

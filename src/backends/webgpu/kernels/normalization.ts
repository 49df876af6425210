import { sizeOf } from '../../../graph/graph.js';
import { softmaxLayout } from '../../../ops/softmax.js';
import { WORKGROUP_SIZE, type GpuKernel } from '../kernel.js';
import { lrnParams, softmaxParams } from '../params.generated.js';

/** lrn: kernels/lrn.wgsl, one invocation per element (never in place). */
export const lrnKernel: GpuKernel<'lrn'> = {
  op: 'lrn',
  prepare(node, ctx) {
    const { size, alpha, beta, bias } = node.attrs;
    const shape = ctx.graph.shape(node.inputs[0]);
    const [N, C] = shape;
    const HW = sizeOf(shape) / (N * C);
    return [
      {
        kernel: 'lrn',
        constants: { WORKGROUP_SIZE },
        params: lrnParams({
          N, C, HW, before: Math.floor((size - 1) / 2), after: Math.ceil((size - 1) / 2), scale: alpha / size, beta, bias,
          x_off: ctx.offset(node.inputs[0]), y_off: ctx.offset(node.outputs[0]),
        }),
        workgroups: ctx.grid(N * C * HW, WORKGROUP_SIZE),
      },
    ];
  },
};

/** softmax: kernels/softmax.wgsl, one invocation per (outer, inner) row; in place when the planner put y over x. */
export const softmaxKernel: GpuKernel<'softmax'> = {
  op: 'softmax',
  prepare(node, ctx) {
    const { axis, coerce2d } = node.attrs;
    const [outer, len, inner] = softmaxLayout(ctx.graph.shape(node.inputs[0]), axis, coerce2d);
    return [
      {
        kernel: 'softmax',
        constants: { WORKGROUP_SIZE },
        params: softmaxParams({ outer, len, inner, x_off: ctx.offset(node.inputs[0]), y_off: ctx.offset(node.outputs[0]) }),
        workgroups: ctx.grid(outer * inner, WORKGROUP_SIZE),
      },
    ];
  },
};

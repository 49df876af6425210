import { layerNormLayout } from '../../../ops/layernorm.js';
import { WORKGROUP_SIZE, type GpuKernel } from '../kernel.js';
import { layernormParams } from '../params.generated.js';

/** layernorm: kernels/layernorm.wgsl, one invocation per normalised vector of [outer, len, inner]. */
export const layernormKernel: GpuKernel<'layernorm'> = {
  op: 'layernorm',
  prepare(node, ctx) {
    const { axis, count, epsilon } = node.attrs;
    const [outer, len, inner] = layerNormLayout(ctx.graph.shape(node.inputs[0]), axis, count);
    const [x, scale, bias] = node.inputs;
    return [
      {
        kernel: 'layernorm',
        constants: { SCALE: scale !== undefined, BIAS: bias !== undefined, WORKGROUP_SIZE },
        params: layernormParams({
          outer, len, inner, eps: epsilon, x_off: ctx.offset(x), y_off: ctx.offset(node.outputs[0]),
          s_off: scale ? ctx.offset(scale) : 0, b_off: bias ? ctx.offset(bias) : 0,
        }),
        workgroups: ctx.grid(outer * inner, WORKGROUP_SIZE),
      },
    ];
  },
};

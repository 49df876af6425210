import { GLOBAL_POOL_OP, POOL_OP } from '../wgsl.js';
import { WORKGROUP_SIZE, type GpuKernel } from '../kernel.js';
import { globalPoolParams, poolParams } from '../params.generated.js';

/** maxpool / avgpool: kernels/pool.wgsl, one invocation per output. */
function poolKernel<T extends keyof typeof POOL_OP>(op: T): GpuKernel<T> {
  return {
    op,
    prepare(node, ctx) {
      const { kernel, stride, pads, dilation } = node.attrs;
      const [N, C, H, W] = ctx.graph.shape(node.inputs[0]);
      const [, , OH, OW] = ctx.graph.shape(node.outputs[0]);
      const includePad = 'countIncludePad' in node.attrs && node.attrs.countIncludePad;
      return [
        {
          kernel: 'pool',
          constants: { OP: POOL_OP[op], INCLUDE_PAD: op === 'avgpool' && includePad, WORKGROUP_SIZE },
          params: poolParams({
            NC: N * C, H, W, OH, OW, KH: kernel[0], KW: kernel[1], sh: stride[0], sw: stride[1],
            pt: pads[0], pl: pads[1], pb: pads[2], pr: pads[3], dh: dilation[0], dw: dilation[1],
            x_off: ctx.offset(node.inputs[0]), y_off: ctx.offset(node.outputs[0]), lowest: -Infinity,
          }),
          workgroups: ctx.grid(N * C * OH * OW, WORKGROUP_SIZE),
        },
      ];
    },
  };
}

export const maxpoolKernel = poolKernel('maxpool');
export const avgpoolKernel = poolKernel('avgpool');

/** globalavgpool / globalmaxpool: kernels/global-pool.wgsl, one invocation per (n, c) plane. */
function globalPoolKernel(op: keyof typeof GLOBAL_POOL_OP): GpuKernel {
  return {
    op,
    prepare(node, ctx) {
      const [N, C, H, W] = ctx.graph.shape(node.inputs[0]);
      return [
        {
          kernel: 'global-pool',
          constants: { OP: GLOBAL_POOL_OP[op], WORKGROUP_SIZE },
          params: globalPoolParams({ NC: N * C, HW: H * W, x_off: ctx.offset(node.inputs[0]), y_off: ctx.offset(node.outputs[0]) }),
          workgroups: ctx.grid(N * C, WORKGROUP_SIZE),
        },
      ];
    },
  };
}

export const globalavgpoolKernel = globalPoolKernel('globalavgpool');
export const globalmaxpoolKernel = globalPoolKernel('globalmaxpool');

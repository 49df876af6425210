import { sizeOf } from '../../../graph/graph.js';
import { typed } from '../../../ops/attrs.js';
import { gatherSupported, layoutView, padView6, type LayoutOp } from '../../../ops/layout-view.js';
import { WORKGROUP_SIZE, type GpuKernel } from '../kernel.js';
import { gatherParams } from '../params.generated.js';

/**
 * transpose, slice (and so split), channelshuffle: kernels/gather.wgsl over the node's
 * merged view, one invocation per output element.
 */
function gatherKernel<T extends LayoutOp>(op: T): GpuKernel<T> {
  return {
    op,
    supports: (node, graph) => gatherSupported(layoutView(typed(node), graph.shape(node.inputs[0]))),
    prepare(node, ctx) {
      const v = layoutView(typed(node), ctx.graph.shape(node.inputs[0]));
      const { dims, strides } = padView6(v);
      const count = sizeOf(ctx.graph.shape(node.outputs[0]));
      const [d0, d1, d2, d3, d4, d5] = dims;
      const [s0, s1, s2, s3, s4, s5] = strides;
      return [{
        kernel: 'gather',
        constants: { WORKGROUP_SIZE },
        params: gatherParams({ count, x_off: ctx.offset(node.inputs[0]) + v.offset, y_off: ctx.offset(node.outputs[0]), d0, d1, d2, d3, d4, d5, s0, s1, s2, s3, s4, s5 }),
        workgroups: ctx.grid(count, WORKGROUP_SIZE),
      }];
    },
  };
}

export const transposeKernel = gatherKernel('transpose');
export const sliceKernel = gatherKernel('slice');
export const channelshuffleKernel = gatherKernel('channelshuffle');

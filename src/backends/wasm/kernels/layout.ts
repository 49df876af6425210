import { typed } from '../../../ops/attrs.js';
import { gatherSupported, layoutView, padView6, type LayoutOp } from '../../../ops/layout-view.js';
import type { WasmKernel } from '../kernel.js';
import { gatherParams } from '../params.generated.js';

/**
 * transpose, slice (and so split), channelshuffle: x32_gather_strided__wasm over the node's
 * merged view (a memory.copy per contiguous run: channel shuffle moves whole planes).
 */
function gatherKernel<T extends LayoutOp>(op: T): WasmKernel<T> {
  return {
    op,
    supports: (node, graph) => gatherSupported(layoutView(typed(node), graph.shape(node.inputs[0]))),
    prepare(node, ctx) {
      const v = layoutView(typed(node), ctx.graph.shape(node.inputs[0]));
      const { dims, strides } = padView6(v);
      const p = ctx.params(gatherParams({ x: ctx.ptr(node.inputs[0]) + v.offset * 4, y: ctx.ptr(node.outputs[0]), dims, strides }));
      const f = ctx.exports.x32_gather_strided__wasm;
      return () => f(p);
    },
  };
}

export const transposeKernel = gatherKernel('transpose');
export const sliceKernel = gatherKernel('slice');
export const channelshuffleKernel = gatherKernel('channelshuffle');

import { WORKGROUP_SIZE, type GpuKernel } from '../kernel.js';
import { fcParams } from '../params.generated.js';
import type { Graph, Node } from '../../../graph/graph.js';
import { convDispatch, convSupport, epilogue, type Conv } from './conv2d.js';

/** Batches up to this size run kernels/fc.wgsl (an invocation per output); larger ones the tiled GEMM. */
const GEMV_MAX_BATCH = 8;

/** fc: y = act(x w^T + b), weights as stored ([Cout, Cin]). */
/** [N, K] is [N, K, 1, 1] for a 1x1 conv, and [N, M] its output [N, M, 1, 1]. */
function asConv(node: Node, graph: Graph): Conv {
  const [N, K] = graph.shape(node.inputs[0]);
  const M = graph.shape(node.inputs[1])[0];
  return { N, C: K, H: 1, W: 1, M, OH: 1, OW: 1, groups: 1, Cg: K, KH: 1, KW: 1, K, Mg: M, sw: 1 };
}

export const fcKernel: GpuKernel = {
  op: 'fc',
  supports(node, graph, gpu) {
    const s = asConv(node, graph);
    return s.N <= GEMV_MAX_BATCH || convSupport(s, gpu.limits.maxComputeWorkgroupsPerDimension);
  },
  prepare(node, ctx) {
    const [x, w, b] = node.inputs;
    const s = asConv(node, ctx.graph);
    const { N, K, M } = s;
    const offsets = { x: ctx.offset(x), w: ctx.offset(w), b: b ? ctx.offset(b) : undefined, y: ctx.offset(node.outputs[0]) };
    if (N > GEMV_MAX_BATCH) {
      return [convDispatch(node, ctx, s, offsets, { stride: [1, 1], pads: [0, 0, 0, 0], dilation: [1, 1] })];
    }
    return [
      {
        kernel: 'fc',
        constants: { WORKGROUP_SIZE },
        params: fcParams({ N, K, M, x_off: offsets.x, w_off: offsets.w, b_off: offsets.b ?? 0, y_off: offsets.y, ...epilogue(node), bias: b === undefined ? 0 : 1 }),
        workgroups: ctx.grid(N * M, WORKGROUP_SIZE),
      },
    ];
  },
};

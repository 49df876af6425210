import { WORKGROUP_SIZE, type GpuKernel } from '../kernel.js';
import { convDispatch, epilogue } from './conv2d.js';

/** Batches up to this size run kernels/fc.wgsl (an invocation per output); larger ones the tiled GEMM. */
const GEMV_MAX_BATCH = 8;

/** fc: y = act(x w^T + b), weights as stored ([Cout, Cin]). */
export const fcKernel: GpuKernel = {
  op: 'fc',
  prepare(node, ctx) {
    const [x, w, b] = node.inputs;
    const [N, K] = ctx.graph.shape(x);
    const M = ctx.graph.shape(w)[0];
    const offsets = { x: ctx.offset(x), w: ctx.offset(w), b: b ? ctx.offset(b) : undefined, y: ctx.offset(node.outputs[0]) };
    if (N > GEMV_MAX_BATCH) {
      // [N, K] is [N, K, 1, 1] for a 1x1 conv, and [N, M] its output [N, M, 1, 1].
      const s = { N, C: K, H: 1, W: 1, M, OH: 1, OW: 1, groups: 1, Cg: K, KH: 1, KW: 1, K, Mg: M };
      return [convDispatch(node, ctx, s, offsets, { stride: [1, 1], pads: [0, 0, 0, 0], dilation: [1, 1] })];
    }
    const { act, p0, p1 } = epilogue(node);
    return [
      {
        kernel: 'fc',
        constants: { WORKGROUP_SIZE, ACT: act, BIAS: b !== undefined },
        params: [N, K, M, offsets.x, offsets.w, offsets.b ?? 0, offsets.y, p0, p1],
        workgroups: ctx.grid(N * M, WORKGROUP_SIZE),
      },
    ];
  },
};

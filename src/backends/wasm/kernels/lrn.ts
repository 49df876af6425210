import type { WasmKernel } from '../kernel.js';

/** lrn: f32_lrn__wasmsimd, across channels, the reference's window [c - floor((size-1)/2), c + ceil((size-1)/2)]. */
export const lrnKernel: WasmKernel<'lrn'> = {
  op: 'lrn',
  prepare(node, ctx) {
    const { size, alpha, beta, bias } = node.attrs;
    const [N, C, H, W] = ctx.graph.shape(node.inputs[0]);
    const p = ctx.params([
      ctx.ptr(node.inputs[0]), ctx.ptr(node.outputs[0]), N, C, H * W,
      Math.floor((size - 1) / 2), Math.ceil((size - 1) / 2), { f32: alpha / size }, { f32: beta }, { f32: bias },
    ]);
    const f = ctx.exports.f32_lrn__wasmsimd;
    return () => f(p);
  },
};

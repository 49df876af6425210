import type { WasmKernel } from '../kernel.js';
import { lrnParams } from '../params.generated.js';

/** lrn: f32_lrn__wasmsimd, across channels, the reference's window [c - floor((size-1)/2), c + ceil((size-1)/2)]. */
export const lrnKernel: WasmKernel<'lrn'> = {
  op: 'lrn',
  prepare(node, ctx) {
    const { size, alpha, beta, bias } = node.attrs;
    const [N, C, H, W] = ctx.graph.shape(node.inputs[0]);
    const p = ctx.params(lrnParams({
      x: ctx.ptr(node.inputs[0]), y: ctx.ptr(node.outputs[0]), n: N, c: C, hw: H * W,
      before: Math.floor((size - 1) / 2), after: Math.ceil((size - 1) / 2), alpha: alpha / size, beta, bias,
    }));
    const f = ctx.exports.f32_lrn__wasmsimd;
    return () => f(p);
  },
};

import { softmaxLayout } from '../../../ops/softmax.js';
import type { WasmKernel } from '../kernel.js';
import { softmaxParams } from '../params.generated.js';

/** softmax: f32_softmax__wasmsimd over [outer, len, inner] (axis and coerce2d as the reference). */
export const softmaxKernel: WasmKernel<'softmax'> = {
  op: 'softmax',
  prepare(node, ctx) {
    const { axis, coerce2d } = node.attrs;
    const [outer, len, inner] = softmaxLayout(ctx.graph.shape(node.inputs[0]), axis, coerce2d);
    const p = ctx.params(softmaxParams({ x: ctx.ptr(node.inputs[0]), y: ctx.ptr(node.outputs[0]), outer, len, inner }));
    const f = ctx.exports.f32_softmax__wasmsimd;
    return () => f(p);
  },
};

import { layerNormLayout } from '../../../ops/layernorm.js';
import type { WasmKernel } from '../kernel.js';
import { layernormParams } from '../params.generated.js';

/** layernorm: f32_layernorm__wasmsimd over [outer, len, inner] (layerNormLayout). */
export const layernormKernel: WasmKernel<'layernorm'> = {
  op: 'layernorm',
  prepare(node, ctx) {
    const { axis, count, epsilon } = node.attrs;
    const [outer, len, inner] = layerNormLayout(ctx.graph.shape(node.inputs[0]), axis, count);
    const [x, scale, bias] = node.inputs;
    const p = ctx.params(layernormParams({
      x: ctx.ptr(x), y: ctx.ptr(node.outputs[0]), scale: scale ? ctx.ptr(scale) : 0, bias: bias ? ctx.ptr(bias) : 0,
      outer, len, inner, eps: epsilon,
    }));
    const f = ctx.exports.f32_layernorm__wasmsimd;
    return () => f(p);
  },
};

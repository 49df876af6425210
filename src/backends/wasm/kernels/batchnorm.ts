import { sizeOf } from '../../../graph/graph.js';
import type { WasmKernel } from '../kernel.js';

/**
 * batchnorm: f32_batchnorm__wasmsimd, any rank >= 2, channel axis 1. The statistics are
 * read each run (an ONNX model may feed them as inputs), which costs C square roots.
 */
export const batchnormKernel: WasmKernel<'batchnorm'> = {
  op: 'batchnorm',
  prepare(node, ctx) {
    const [x, scale, bias, mean, variance] = node.inputs;
    const shape = ctx.graph.shape(x);
    const [N, C] = shape;
    const eps = node.attrs.epsilon;
    const p = ctx.params([
      ctx.ptr(x), ctx.ptr(node.outputs[0]), ctx.ptr(scale), ctx.ptr(bias), ctx.ptr(mean), ctx.ptr(variance),
      { f32: eps }, N, C, sizeOf(shape) / (N * C),
    ]);
    const f = ctx.exports.f32_batchnorm__wasmsimd;
    return () => f(p);
  },
};

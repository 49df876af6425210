import { sizeOf } from '../../../graph/graph.js';
import type { WasmKernel } from '../kernel.js';
import { batchnormParams } from '../params.generated.js';

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
    const p = ctx.params(batchnormParams({
      x: ctx.ptr(x), y: ctx.ptr(node.outputs[0]), scale: ctx.ptr(scale), bias: ctx.ptr(bias), mean: ctx.ptr(mean), var: ctx.ptr(variance),
      eps: node.attrs.epsilon, n: N, c: C, inner: sizeOf(shape) / (N * C),
    }));
    const f = ctx.exports.f32_batchnorm__wasmsimd;
    return () => f(p);
  },
};

import { qdqArgs, type UnaryMathOp } from '../../../ops/activation.js';
import type { OpAttrs } from '../../../ops/attrs.js';
import { activationArgs } from '../../../ops/fused-activation.js';
import { sizeOf } from '../../../graph/graph.js';
import { ELEMENTWISE_OP } from '../wgsl.js';
import { WORKGROUP_SIZE, type GpuKernel } from '../kernel.js';
import { elementwiseParams } from '../params.generated.js';

/** A unary op of kernels/elementwise.wgsl (in place when the planner put y over x). */
function unaryKernel<T extends 'relu' | 'clip' | 'leakyrelu' | 'tanh' | 'sigmoid' | UnaryMathOp>(op: T, p: (attrs: OpAttrs[T]) => [number, number] = () => [0, 0]): GpuKernel<T> {
  return {
    op,
    prepare(node, ctx) {
      const count = sizeOf(ctx.graph.shape(node.outputs[0]));
      const [p0, p1] = p(node.attrs);
      const params = elementwiseParams({
        count, x_off: ctx.offset(node.inputs[0]), y_off: ctx.offset(node.outputs[0]), p0, p1,
        // batchnorm's fields, unused by the unary ops.
        channels: 1, inner: 1, scale_off: 0, bias_off: 0, mean_off: 0, var_off: 0,
      });
      return [{ kernel: 'elementwise', constants: { OP: ELEMENTWISE_OP[op], WORKGROUP_SIZE }, params, workgroups: ctx.grid(count, WORKGROUP_SIZE) }];
    },
  };
}

export const reluKernel = unaryKernel('relu');
export const clipKernel = unaryKernel('clip', (a) => [a.min, a.max]);
export const leakyreluKernel = unaryKernel('leakyrelu', (a) => [a.alpha, 0]);
export const tanhKernel = unaryKernel('tanh');
export const sigmoidKernel = unaryKernel('sigmoid');
export const hardsigmoidKernel = unaryKernel('hardsigmoid', (a) => activationArgs({ op: 'hardsigmoid', ...a }));
export const hardswishKernel = unaryKernel('hardswish', () => activationArgs({ op: 'hardswish' }));
export const siluKernel = unaryKernel('silu');
export const geluKernel = unaryKernel('gelu');
export const erfKernel = unaryKernel('erf');
export const sqrtKernel = unaryKernel('sqrt');
export const qdqKernel = unaryKernel('qdq', qdqArgs);

/**
 * batchnorm (left when the planner could not fold it into a conv, or its statistics are
 * computed): y = (x - mean) * scale / sqrt(var + eps) + bias per channel.
 */
export const batchnormKernel: GpuKernel<'batchnorm'> = {
  op: 'batchnorm',
  prepare(node, ctx) {
    const shape = ctx.graph.shape(node.inputs[0]);
    const [N, C] = shape;
    const count = sizeOf(shape);
    const [x, scale, bias, mean, variance] = node.inputs.map((t) => ctx.offset(t));
    const eps = node.attrs.epsilon;
    const params = elementwiseParams({
      count, x_off: x, y_off: ctx.offset(node.outputs[0]), p0: eps, p1: 0,
      channels: C, inner: count / (N * C), scale_off: scale, bias_off: bias, mean_off: mean, var_off: variance,
    });
    return [{ kernel: 'elementwise', constants: { OP: ELEMENTWISE_OP.batchnorm, WORKGROUP_SIZE }, params, workgroups: ctx.grid(count, WORKGROUP_SIZE) }];
  },
};

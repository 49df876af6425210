import { qdqArgs, type UnaryMathOp } from '../../../ops/activation.js';
import type { NodeOf } from '../../../ops/attrs.js';
import { activationArgs } from '../../../ops/fused-activation.js';
import { sizeOf } from '../../../graph/graph.js';
import type { WasmKernel } from '../kernel.js';
import { unaryParams } from '../params.generated.js';
import type { ParallelKernel } from '../thread-pool.js';
import { elementwiseStep } from './add.js';
import { share } from './conv2d.js';

/**
 * An elementwise activation over the whole tensor (any rank, batch included), in place
 * when the planner gave input and output the same offset. `a0`/`a1` are its attributes.
 * Threads split the elements of a large tensor (add.ts, elementwiseStep).
 */
function unaryKernel<T extends 'relu' | 'clip' | 'leakyrelu' | 'tanh' | 'sigmoid' | UnaryMathOp>(op: T, fn: ParallelKernel, attrs: (node: NodeOf<T>) => [number, number] = () => [0, 0]): WasmKernel<T> {
  return {
    op,
    prepare(node, ctx) {
      const [x] = node.inputs;
      const [a0, a1] = attrs(node);
      const count = sizeOf(ctx.graph.shape(x));
      // Threads split the elements, in 4-float units.
      return elementwiseStep(ctx, fn, count, (t) => {
        const [i0, i1] = t < 0 ? [0, count] : share(count, ctx.threads, t, 4);
        return ctx.params(unaryParams({ x: ctx.ptr(x) + i0 * 4, y: ctx.ptr(node.outputs[0]) + i0 * 4, count: i1 - i0, a0, a1 }));
      });
    },
  };
}

/** relu: f32_vrelu__wasmsimd. */
export const reluKernel = unaryKernel('relu', 'f32_vrelu__wasmsimd');

/** clip: f32_vclamp__wasmsimd (min, max). */
export const clipKernel = unaryKernel('clip', 'f32_vclamp__wasmsimd', (n) => {
  const { min, max } = n.attrs;
  return [min, max];
});

/** leakyrelu: f32_vlrelu__wasmsimd (alpha). */
export const leakyreluKernel = unaryKernel('leakyrelu', 'f32_vlrelu__wasmsimd', (n) => [n.attrs.alpha, 0]);

/** tanh: f32_vtanh__wasmsimd. */
export const tanhKernel = unaryKernel('tanh', 'f32_vtanh__wasmsimd');

/** sigmoid: f32_vsigmoid__wasmsimd. */
export const sigmoidKernel = unaryKernel('sigmoid', 'f32_vsigmoid__wasmsimd');

/** hardsigmoid: f32_vhardsigmoid__wasmsimd (alpha, beta), the epilogues' rule. */
export const hardsigmoidKernel = unaryKernel('hardsigmoid', 'f32_vhardsigmoid__wasmsimd', (n) => activationArgs({ op: 'hardsigmoid', ...n.attrs }));

/** hardswish: f32_vhardswish__wasmsimd (1/6, 1/2), the epilogues' rule. */
export const hardswishKernel = unaryKernel('hardswish', 'f32_vhardswish__wasmsimd', () => activationArgs({ op: 'hardswish' }));

/** silu: f32_vsilu__wasmsimd, the epilogues' rule. */
export const siluKernel = unaryKernel('silu', 'f32_vsilu__wasmsimd');

/** gelu: f32_vgelu__wasmsimd. */
export const geluKernel = unaryKernel('gelu', 'f32_vgelu__wasmsimd');

/** erf: f32_verf__wasmsimd. */
export const erfKernel = unaryKernel('erf', 'f32_verf__wasmsimd');

/** sqrt: f32_vsqrt__wasmsimd. */
export const sqrtKernel = unaryKernel('sqrt', 'f32_vsqrt__wasmsimd');

/** qdq: f32_vqdq__wasmsimd (scale, qmin - zero point). */
export const qdqKernel = unaryKernel('qdq', 'f32_vqdq__wasmsimd', (n) => qdqArgs(n.attrs));

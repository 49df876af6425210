import type { NodeOf } from '../../../ops/attrs.js';
import { sizeOf } from '../../../graph/graph.js';
import type { WasmKernel } from '../kernel.js';
import { unaryParams } from '../params.generated.js';

/**
 * An elementwise activation over the whole tensor (any rank, batch included), in place
 * when the planner gave input and output the same offset. `a0`/`a1` are its attributes.
 */
function unaryKernel<T extends 'relu' | 'clip' | 'leakyrelu' | 'tanh' | 'sigmoid'>(op: T, fn: string, attrs: (node: NodeOf<T>) => [number, number] = () => [0, 0]): WasmKernel<T> {
  return {
    op,
    prepare(node, ctx) {
      const [x] = node.inputs;
      const [a0, a1] = attrs(node);
      const p = ctx.params(unaryParams({ x: ctx.ptr(x), y: ctx.ptr(node.outputs[0]), count: sizeOf(ctx.graph.shape(x)), a0, a1 }));
      const f = ctx.exports[fn];
      return () => f(p);
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

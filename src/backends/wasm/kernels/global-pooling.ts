import type { Node } from '../../../graph/graph.js';
import type { KernelContext, Step, WasmKernel } from '../kernel.js';
import { globalPoolParams } from '../params.generated.js';

function globalStep(fn: string, node: Node, ctx: KernelContext): Step {
  const [N, C, H, W] = ctx.graph.shape(node.inputs[0]);
  const p = ctx.params(globalPoolParams({ x: ctx.ptr(node.inputs[0]), y: ctx.ptr(node.outputs[0]), planes: N * C, size: H * W }));
  const f = ctx.exports[fn];
  return () => f(p);
}

/** globalavgpool: f32_global_avgpool__wasmsimd over N * C planes. */
export const globalavgpoolKernel: WasmKernel = {
  op: 'globalavgpool',
  prepare: (node, ctx) => globalStep('f32_global_avgpool__wasmsimd', node, ctx),
};

/** globalmaxpool: f32_global_maxpool__wasmsimd over N * C planes. */
export const globalmaxpoolKernel: WasmKernel = {
  op: 'globalmaxpool',
  prepare: (node, ctx) => globalStep('f32_global_maxpool__wasmsimd', node, ctx),
};

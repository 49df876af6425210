import type { Node } from '../../../graph/graph.js';
import type { KernelContext, Step, WasmKernel } from '../kernel.js';

function globalStep(fn: string, node: Node, ctx: KernelContext): Step {
  const [N, C, H, W] = ctx.graph.shape(node.inputs[0]);
  const p = ctx.params([ctx.ptr(node.inputs[0]), ctx.ptr(node.outputs[0]), N * C, H * W]);
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

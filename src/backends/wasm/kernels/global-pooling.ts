import type { Node } from '../../../graph/graph.js';
import type { KernelContext, Step, WasmKernel } from '../kernel.js';
import type { ParallelKernel } from '../thread-pool.js';
import { globalPoolParams } from '../params.generated.js';
import { share } from './conv2d.js';

/** Threads split the N * C planes, one parameter block each. */
function globalStep(fn: ParallelKernel, node: Node, ctx: KernelContext): Step {
  const [N, C, H, W] = ctx.graph.shape(node.inputs[0]);
  const blocks = Array.from({ length: ctx.threads }, (_, t) => {
    const [p0, p1] = share(N * C, ctx.threads, t);
    return ctx.params(globalPoolParams({ x: ctx.ptr(node.inputs[0]) + p0 * H * W * 4, y: ctx.ptr(node.outputs[0]) + p0 * 4, planes: p1 - p0, size: H * W }));
  });
  return () => ctx.parallel(fn, blocks);
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

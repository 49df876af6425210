import type { NodeOf } from '../../../ops/attrs.js';
import type { KernelContext, Step, WasmKernel } from '../kernel.js';

/** One parameter block for the whole batch: the kernel walks N * C planes. */
function poolStep(fn: string, node: NodeOf<'maxpool'> | NodeOf<'avgpool'>, ctx: KernelContext): Step {
  const { kernel, stride, pads, dilation } = node.attrs;
  const [N, C, H, W] = ctx.graph.shape(node.inputs[0]);
  const [, , OH, OW] = ctx.graph.shape(node.outputs[0]);
  const includePad = node.op === 'avgpool' && node.attrs.countIncludePad;
  const p = ctx.params([
    ctx.ptr(node.inputs[0]), ctx.ptr(node.outputs[0]), N * C, H, W, OH, OW,
    kernel[0], kernel[1], stride[0], stride[1], pads[0], pads[1], pads[2], pads[3], dilation[0], dilation[1],
    includePad ? 1 : 0,
  ]);
  const f = ctx.exports[fn];
  return () => f(p);
}

/** maxpool: f32_maxpool__wasmsimd (ceil mode is already in the output shape). */
export const maxpoolKernel: WasmKernel<'maxpool'> = {
  op: 'maxpool',
  prepare: (node, ctx) => poolStep('f32_maxpool__wasmsimd', node, ctx),
};

/** avgpool: f32_avgpool__wasmsimd, the reference's divisor (countIncludePad or not). */
export const avgpoolKernel: WasmKernel<'avgpool'> = {
  op: 'avgpool',
  prepare: (node, ctx) => poolStep('f32_avgpool__wasmsimd', node, ctx),
};

import type { NodeOf } from '../../../ops/attrs.js';
import type { KernelContext, Step, WasmKernel } from '../kernel.js';
import { poolParams } from '../params.generated.js';

/** One parameter block for the whole batch: the kernel walks N * C planes. */
function poolStep(fn: string, node: NodeOf<'maxpool'> | NodeOf<'avgpool'>, ctx: KernelContext): Step {
  const { kernel, stride, pads, dilation } = node.attrs;
  const [N, C, H, W] = ctx.graph.shape(node.inputs[0]);
  const [, , OH, OW] = ctx.graph.shape(node.outputs[0]);
  const includePad = node.op === 'avgpool' && node.attrs.countIncludePad;
  const p = ctx.params(poolParams({
    x: ctx.ptr(node.inputs[0]), y: ctx.ptr(node.outputs[0]), planes: N * C, h: H, w: W, oh: OH, ow: OW,
    kh: kernel[0], kw: kernel[1], sh: stride[0], sw: stride[1], pt: pads[0], pl: pads[1], pb: pads[2], pr: pads[3],
    dh: dilation[0], dw: dilation[1], includePad: includePad ? 1 : 0,
  }));
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

import type { NodeOf } from '../../../ops/attrs.js';
import type { KernelContext, Step, WasmKernel } from '../kernel.js';
import { poolParams } from '../params.generated.js';
import { share } from './conv2d.js';

/**
 * The kernel walks planes (N * C of them, each H x W): threads split them, one parameter
 * block each (GoogLeNet's max pools were 15% of its time on one thread, and all of it with two).
 */
function poolStep(fn: 'f32_maxpool__wasmsimd' | 'f32_avgpool__wasmsimd', node: NodeOf<'maxpool'> | NodeOf<'avgpool'>, ctx: KernelContext): Step {
  const { kernel, stride, pads, dilation } = node.attrs;
  const [N, C, H, W] = ctx.graph.shape(node.inputs[0]);
  const [, , OH, OW] = ctx.graph.shape(node.outputs[0]);
  const includePad = node.op === 'avgpool' && node.attrs.countIncludePad;
  const blocks = Array.from({ length: ctx.threads }, (_, t) => {
    const [p0, p1] = share(N * C, ctx.threads, t);
    return ctx.params(poolParams({
      x: ctx.ptr(node.inputs[0]) + p0 * H * W * 4, y: ctx.ptr(node.outputs[0]) + p0 * OH * OW * 4, planes: p1 - p0, h: H, w: W, oh: OH, ow: OW,
      kh: kernel[0], kw: kernel[1], sh: stride[0], sw: stride[1], pt: pads[0], pl: pads[1], pb: pads[2], pr: pads[3],
      dh: dilation[0], dw: dilation[1], includePad: includePad ? 1 : 0, tmp: fn === 'f32_maxpool__wasmsimd' ? ctx.scratchOf(t) : 0,
    }));
  });
  return () => ctx.parallel(fn, blocks);
}

/**
 * maxpool: f32_maxpool__wasmsimd (ceil mode is already in the output shape), separable: each
 * output row's window rows combined into a row of scratch, then its columns. GoogLeNet's
 * 3x3 stride-1 pools on 14x14 planes ran ~1.25 G taps/s tap by tap.
 */
export const maxpoolKernel: WasmKernel<'maxpool'> = {
  op: 'maxpool',
  scratchBytes: (node, graph) => graph.shape(node.inputs[0])[3] * 4,
  prepare: (node, ctx) => poolStep('f32_maxpool__wasmsimd', node, ctx),
};

/** avgpool: f32_avgpool__wasmsimd, the reference's divisor (countIncludePad or not). */
export const avgpoolKernel: WasmKernel<'avgpool'> = {
  op: 'avgpool',
  prepare: (node, ctx) => poolStep('f32_avgpool__wasmsimd', node, ctx),
};

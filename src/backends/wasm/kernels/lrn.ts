import type { WasmKernel } from '../kernel.js';
import { lrnParams } from '../params.generated.js';
import { share } from './conv2d.js';

/**
 * lrn: f32_lrn__wasmsimd, across channels, the reference's window [c - floor((size-1)/2),
 * c + ceil((size-1)/2)]. Threads split the channels (each reads its neighbours' planes, writes
 * only its own): GoogLeNet's two LRNs were 1.5 ms on one thread whatever the threads.
 */
export const lrnKernel: WasmKernel<'lrn'> = {
  op: 'lrn',
  prepare(node, ctx) {
    const { size, alpha, beta, bias } = node.attrs;
    const [N, C, H, W] = ctx.graph.shape(node.inputs[0]);
    const blocks = Array.from({ length: ctx.threads }, (_, t) => {
      const [c0, c1] = share(C, ctx.threads, t);
      return ctx.params(lrnParams({
        x: ctx.ptr(node.inputs[0]), y: ctx.ptr(node.outputs[0]), n: N, c: C, hw: H * W,
        before: Math.floor((size - 1) / 2), after: Math.ceil((size - 1) / 2), alpha: alpha / size, beta, bias, c0, c1,
      }));
    });
    return () => ctx.parallel('f32_lrn__wasmsimd', blocks);
  },
};

import type { WasmKernel } from '../kernel.js';
import { copyListParams } from '../params.generated.js';
import { share } from './conv2d.js';

/**
 * concat: each input is `outer` blocks of its slab along the axis, strided in the output.
 * Threads split every slab by bytes (16-byte units), so each copies the same share of every
 * input: one xx_copy_list__wasm call per thread, a record per input.
 */
export const concatKernel: WasmKernel<'concat'> = {
  op: 'concat',
  prepare(node, ctx) {
    const { graph } = ctx;
    const { axis } = node.attrs;
    const y = graph.shape(node.outputs[0]);
    const outer = y.slice(0, axis).reduce((a, b) => a * b, 1);
    const inner = y.slice(axis + 1).reduce((a, b) => a * b, 1);
    const dstStride = y[axis] * inner * 4;
    const dst = ctx.ptr(node.outputs[0]);
    const slabs: { src: number; dst: number; bytes: number }[] = [];
    let offset = 0;
    for (const x of node.inputs) {
      const bytes = graph.shape(x)[axis] * inner * 4;
      slabs.push({ src: ctx.ptr(x), dst: dst + offset, bytes });
      offset += bytes;
    }
    const blocks = Array.from({ length: ctx.threads }, (_, t) => {
      const blocks = slabs.map((s) => {
        const [b0, b1] = share(s.bytes, ctx.threads, t, 16);
        return { src: s.src + b0, dst: s.dst + b0, count: outer, bytes: b1 - b0, srcStride: s.bytes, dstStride };
      });
      return ctx.params(copyListParams({ copies: blocks.length, blocks }));
    });
    return () => ctx.parallel('xx_copy_list__wasm', blocks);
  },
};

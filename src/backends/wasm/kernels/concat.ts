import type { WasmKernel } from '../kernel.js';
import { copyParams } from '../params.generated.js';

/**
 * concat: per input, `outer` blocks of its slab along the axis, one xx_copy_blocks__wasm
 * call each (a memory.copy per block).
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
    let offset = 0;
    const blocks = node.inputs.map((x) => {
      const bytes = graph.shape(x)[axis] * inner * 4;
      const p = ctx.params(copyParams({ src: ctx.ptr(x), dst: dst + offset, count: outer, bytes, srcStride: bytes, dstStride }));
      offset += bytes;
      return p;
    });
    const f = ctx.exports.xx_copy_blocks__wasm;
    return () => {
      for (const p of blocks) f(p);
    };
  },
};

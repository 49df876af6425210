import { reduceLayout } from '../../../ops/reduce.js';
import type { WasmKernel } from '../kernel.js';
import { reduceParams } from '../params.generated.js';

type ReduceOp = 'reducemean' | 'reducesum' | 'reducemax';
const CODE: Record<ReduceOp, number> = { reducesum: 0, reducemean: 1, reducemax: 2 };

function reduceKernel<T extends ReduceOp>(op: T): WasmKernel<T> {
  return {
    op,
    prepare(node, ctx) {
      const l = reduceLayout(ctx.graph.shape(node.inputs[0]), node.attrs.axes);
      const p = ctx.params(reduceParams({
        x: ctx.ptr(node.inputs[0]), y: ctx.ptr(node.outputs[0]), op: CODE[op], scale: 1 / l.count,
        kd: l.keptDims, ks: l.keptStrides, rd: l.redDims, rs: l.redStrides,
      }));
      const f = ctx.exports.f32_reduce__wasmsimd;
      return () => f(p);
    },
  };
}

/** reducemean / reducesum / reducemax: f32_reduce__wasmsimd over the loops of reduceLayout. */
export const reducemeanKernel = reduceKernel('reducemean');
export const reducesumKernel = reduceKernel('reducesum');
export const reducemaxKernel = reduceKernel('reducemax');

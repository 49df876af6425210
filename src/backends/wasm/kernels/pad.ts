import type { Shape } from '../../../graph/graph.js';
import type { WasmKernel } from '../kernel.js';
import { padParams } from '../params.generated.js';

/** One axis of a constant pad: input extent, output extent, pad before (negative: crop). */
export interface PadAxis {
  x: number;
  y: number;
  begin: number;
}

/**
 * Merges every axis without pads into the axis outside it (its rows then stay contiguous
 * in both input and output), so the kernel recurses over as few axes as the pads need.
 */
export function collapsePads(shape: Shape, pads: readonly number[]): PadAxis[] {
  const rank = shape.length;
  const axes: PadAxis[] = [];
  for (let d = rank - 1; d >= 0; d--) {
    const begin = pads[d];
    const end = pads[d + rank];
    const inner = axes[0];
    if (inner && inner.begin === 0 && inner.x === inner.y) {
      axes[0] = { x: shape[d] * inner.x, y: (shape[d] + begin + end) * inner.x, begin: begin * inner.x };
    } else {
      axes.unshift({ x: shape[d], y: shape[d] + begin + end, begin });
    }
  }
  return axes.length ? axes : [{ x: 1, y: 1, begin: 0 }];
}

/** pad: x32_pad__wasmsimd (constant value, any rank, negative pads crop). */
export const padKernel: WasmKernel<'pad'> = {
  op: 'pad',
  prepare(node, ctx) {
    const { pads, value } = node.attrs;
    const axes = collapsePads(ctx.graph.shape(node.inputs[0]), pads);
    // Element strides of each axis in the input and the output (row-major).
    const xs: number[] = [];
    const ys: number[] = [];
    for (let d = axes.length - 1, sx = 1, sy = 1; d >= 0; d--) {
      xs[d] = sx;
      ys[d] = sy;
      sx *= axes[d].x;
      sy *= axes[d].y;
    }
    const p = ctx.params(padParams({
      x: ctx.ptr(node.inputs[0]), y: ctx.ptr(node.outputs[0]), value, rank: axes.length,
      axes: axes.map((a, d) => ({ x: a.x, y: a.y, begin: a.begin, xs: xs[d], ys: ys[d] })),
    }));
    const f = ctx.exports.x32_pad__wasmsimd;
    return () => f(p);
  },
};

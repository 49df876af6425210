import { sizeOf } from '../../../graph/graph.js';
import { WORKGROUP_SIZE, type GpuKernel } from '../kernel.js';

/** Axes kernels/pad.wgsl handles. */
const RANK = 6;

/** pad (constant mode, negative pads crop): kernels/pad.wgsl, one invocation per output. */
export const padKernel: GpuKernel<'pad'> = {
  op: 'pad',
  supports(node, graph) {
    const rank = graph.shape(node.inputs[0]).length;
    return rank <= RANK || `rank ${rank}; the WebGPU kernel pads at most ${RANK} axes`;
  },
  prepare(node, ctx) {
    const { pads, value } = node.attrs;
    const x = ctx.graph.shape(node.inputs[0]);
    const y = ctx.graph.shape(node.outputs[0]);
    const lead = (xs: readonly number[], fill: number) => [...new Array<number>(RANK - xs.length).fill(fill), ...xs];
    const count = sizeOf(y);
    return [
      {
        kernel: 'pad',
        constants: { WORKGROUP_SIZE },
        params: [
          count, ctx.offset(node.inputs[0]), ctx.offset(node.outputs[0]), { f32: value },
          ...lead(x, 1), ...lead(y, 1), ...lead(pads.slice(0, x.length), 0),
        ],
        workgroups: ctx.grid(count, WORKGROUP_SIZE),
      },
    ];
  },
};

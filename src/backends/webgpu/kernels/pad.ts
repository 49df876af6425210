import { sizeOf } from '../../../graph/graph.js';
import { axisFields, WORKGROUP_SIZE, type GpuKernel } from '../kernel.js';
import { padParams } from '../params.generated.js';

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
        params: padParams({
          count, x_off: ctx.offset(node.inputs[0]), y_off: ctx.offset(node.outputs[0]), value,
          ...axisFields('x', lead(x, 1)), ...axisFields('y', lead(y, 1)), ...axisFields('p', lead(pads.slice(0, x.length), 0)),
        }),
        workgroups: ctx.grid(count, WORKGROUP_SIZE),
      },
    ];
  },
};

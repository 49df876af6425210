import { sizeOf } from '../../../graph/graph.js';
import { collapseBroadcast } from '../../../ops/broadcast.js';
import { BINARY_OP } from '../wgsl.js';
import { axisFields, WORKGROUP_SIZE, type GpuKernel } from '../kernel.js';
import { binaryParams } from '../params.generated.js';

/** Axes kernels/binary.wgsl loops over. */
const RANK = 6;

/** Left-pads per-axis values to RANK axes. */
const lead = (xs: readonly number[], fill: number) => [...new Array<number>(RANK - xs.length).fill(fill), ...xs];

/**
 * add / mul / sub / div / pow with NumPy broadcasting: kernels/binary.wgsl over the broadcast collapsed to at
 * most 6 axes, one invocation per output (in place when the planner allows).
 */
function binaryKernel(op: keyof typeof BINARY_OP): GpuKernel {
  return {
    op,
    supports(node, graph) {
      const [a, b] = node.inputs;
      const axes = collapseBroadcast(graph.shape(node.outputs[0]), graph.shape(a), graph.shape(b)).dims.length;
      return axes <= RANK || `its broadcast needs ${axes} axes after merging; the WebGPU kernel loops over at most ${RANK}`;
    },
    prepare(node, ctx) {
      const [a, b] = node.inputs;
      const out = ctx.graph.shape(node.outputs[0]);
      const l = collapseBroadcast(out, ctx.graph.shape(a), ctx.graph.shape(b));
      const count = sizeOf(out);
      return [
        {
          kernel: 'binary',
          constants: { OP: BINARY_OP[op], WORKGROUP_SIZE },
          params: binaryParams({
            count,
            a_off: ctx.offset(a),
            b_off: ctx.offset(b),
            y_off: ctx.offset(node.outputs[0]),
            ...axisFields('d', lead(l.dims, 1)),
            ...axisFields('a', lead(l.a, 0)),
            ...axisFields('b', lead(l.b, 0)),
          }),
          workgroups: ctx.grid(count, WORKGROUP_SIZE),
        },
      ];
    },
  };
}

export const addKernel = binaryKernel('add');
export const mulKernel = binaryKernel('mul');
export const subKernel = binaryKernel('sub');
export const divKernel = binaryKernel('div');
export const powKernel = binaryKernel('pow');

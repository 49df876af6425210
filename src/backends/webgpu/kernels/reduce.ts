import { reduceLayout } from '../../../ops/reduce.js';
import { sizeOf } from '../../../graph/graph.js';
import { WORKGROUP_SIZE, type GpuKernel } from '../kernel.js';
import { reduceParams } from '../params.generated.js';

type ReduceOp = 'reducemean' | 'reducesum' | 'reducemax';
const CODE: Record<ReduceOp, number> = { reducesum: 0, reducemean: 1, reducemax: 2 };

function reduceKernel<T extends ReduceOp>(op: T): GpuKernel<T> {
  return {
    op,
    prepare(node, ctx) {
      const { keptDims: kd, keptStrides: ks, redDims: rd, redStrides: rs, count } = reduceLayout(ctx.graph.shape(node.inputs[0]), node.attrs.axes);
      const outputs = sizeOf(ctx.graph.shape(node.outputs[0]));
      return [
        {
          kernel: 'reduce',
          constants: { OP: CODE[op], WORKGROUP_SIZE },
          params: reduceParams({
            count: outputs,
            kd0: kd[0], kd1: kd[1], kd2: kd[2], kd3: kd[3], ks0: ks[0], ks1: ks[1], ks2: ks[2], ks3: ks[3],
            rd0: rd[0], rd1: rd[1], rd2: rd[2], rd3: rd[3], rs0: rs[0], rs1: rs[1], rs2: rs[2], rs3: rs[3],
            scale: 1 / count, x_off: ctx.offset(node.inputs[0]), y_off: ctx.offset(node.outputs[0]),
          }),
          workgroups: ctx.grid(outputs, WORKGROUP_SIZE),
        },
      ];
    },
  };
}

/** reducemean / reducesum / reducemax: kernels/reduce.wgsl, one invocation per output, the loops of reduceLayout. */
export const reducemeanKernel = reduceKernel('reducemean');
export const reducesumKernel = reduceKernel('reducesum');
export const reducemaxKernel = reduceKernel('reducemax');

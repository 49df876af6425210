import type { OpType } from '../../../graph/graph.js';
import { sizeOf } from '../../../graph/graph.js';
import { ELEMENTWISE_OP, type ElementwiseOp } from '../wgsl.js';
import { WORKGROUP_SIZE, type GpuKernel, type Param } from '../kernel.js';

/** A unary op of kernels/elementwise.wgsl (in place when the planner put y over x). */
function unaryKernel(op: OpType & ElementwiseOp, p: (attrs: Record<string, number>) => [number, number] = () => [0, 0]): GpuKernel {
  return {
    op,
    prepare(node, ctx) {
      const count = sizeOf(ctx.graph.shape(node.outputs[0]));
      const [p0, p1] = p(node.attrs as Record<string, number>);
      const params: Param[] = [count, ctx.offset(node.inputs[0]), ctx.offset(node.outputs[0]), { f32: p0 }, { f32: p1 }, 0, 1, 1];
      return [{ kernel: 'elementwise', constants: { OP: ELEMENTWISE_OP[op], WORKGROUP_SIZE }, params, workgroups: ctx.grid(count, WORKGROUP_SIZE) }];
    },
  };
}

export const reluKernel = unaryKernel('relu');
export const clipKernel = unaryKernel('clip', (a) => [a.min, a.max]);
export const leakyreluKernel = unaryKernel('leakyrelu', (a) => [a.alpha, 0]);
export const tanhKernel = unaryKernel('tanh');
export const sigmoidKernel = unaryKernel('sigmoid');

/**
 * batchnorm (left when the planner could not fold it into a conv): y = x * a[c] + b[c],
 * with a = scale / sqrt(var + eps) and b = bias - mean * a folded at compile time in f64.
 */
export const batchnormKernel: GpuKernel = {
  op: 'batchnorm',
  prepare(node, ctx) {
    const { graph } = ctx;
    const shape = graph.shape(node.inputs[0]);
    const [N, C] = shape;
    const [scale, bias, mean, variance] = node.inputs.slice(1).map((t) => graph.weight(t));
    const eps = (node.attrs as { epsilon: number }).epsilon;
    const folded = new Float32Array(2 * C);
    for (let c = 0; c < C; c++) {
      const a = scale[c] / Math.sqrt(variance[c] + eps);
      folded[c] = a;
      folded[C + c] = bias[c] - mean[c] * a;
    }
    const count = sizeOf(shape);
    const params: Param[] = [
      count, ctx.offset(node.inputs[0]), ctx.offset(node.outputs[0]), { f32: 0 }, { f32: 0 },
      ctx.constant(folded, `${node.name}.affine`), C, count / (N * C),
    ];
    return [{ kernel: 'elementwise', constants: { OP: ELEMENTWISE_OP.affine, WORKGROUP_SIZE }, params, workgroups: ctx.grid(count, WORKGROUP_SIZE) }];
  },
};

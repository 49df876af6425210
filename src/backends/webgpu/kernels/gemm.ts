import { broadcastStrides } from '../../../ops/broadcast.js';
import { WORKGROUP_SIZE, type GpuKernel } from '../kernel.js';

/**
 * gemm: Y = alpha * A' B' + beta * C, kernels/gemm.wgsl with one invocation per output; the
 * transposes are strides, and C broadcasts to [M, N] through stride 0.
 */
export const gemmKernel: GpuKernel<'gemm'> = {
  op: 'gemm',
  prepare(node, ctx) {
    const { alpha, beta, transA, transB } = node.attrs;
    const [a, b, c] = node.inputs;
    const [M, N] = ctx.graph.shape(node.outputs[0]);
    const K = ctx.graph.shape(a)[transA ? 0 : 1];
    const [cm, cn] = c ? broadcastStrides(ctx.graph.shape(c), [M, N]) : [0, 0];
    return [
      {
        kernel: 'gemm',
        constants: { BIAS: c !== undefined, WORKGROUP_SIZE },
        params: [
          M, N, K,
          ctx.offset(a), ...(transA ? [1, M] : [K, 1]),
          ctx.offset(b), ...(transB ? [1, K] : [N, 1]),
          c ? ctx.offset(c) : 0, cm, cn,
          ctx.offset(node.outputs[0]), { f32: alpha }, { f32: beta },
        ],
        workgroups: ctx.grid(M * N, WORKGROUP_SIZE),
      },
    ];
  },
};

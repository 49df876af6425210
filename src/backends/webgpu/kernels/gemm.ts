import { broadcastStrides } from '../../../ops/broadcast.js';
import { WORKGROUP_SIZE, type GpuKernel } from '../kernel.js';
import { gemmParams } from '../params.generated.js';

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
        params: gemmParams({
          M, N, K,
          // Element strides of A' (M x K) and B' (K x N): a transpose swaps them.
          a_off: ctx.offset(a), a_m: transA ? 1 : K, a_k: transA ? M : 1,
          b_off: ctx.offset(b), b_k: transB ? 1 : N, b_n: transB ? K : 1,
          c_off: c ? ctx.offset(c) : 0, c_m: cm, c_n: cn,
          y_off: ctx.offset(node.outputs[0]), alpha, beta,
        }),
        workgroups: ctx.grid(M * N, WORKGROUP_SIZE),
      },
    ];
  },
};

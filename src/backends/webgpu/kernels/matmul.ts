import { matmulLayout } from '../../../ops/matmul.js';
import { WORKGROUP_SIZE, type GpuKernel } from '../kernel.js';
import { gemmParams } from '../params.generated.js';

/**
 * matmul: kernels/gemm.wgsl once per batch of the broadcast batch axes, A, B and Y offset to
 * that batch's matrices (the same pipeline for every batch: only the uniforms differ).
 */
export const matmulKernel: GpuKernel<'matmul'> = {
  op: 'matmul',
  prepare(node, ctx) {
    const [a, b] = node.inputs;
    const { M, N, K, aBatch, bBatch } = matmulLayout(node, ctx.graph.shape(a), ctx.graph.shape(b));
    const aOff = ctx.offset(a);
    const bOff = ctx.offset(b);
    const yOff = ctx.offset(node.outputs[0]);
    return aBatch.map((ao, t) => ({
      kernel: 'gemm' as const,
      constants: { BIAS: false, WORKGROUP_SIZE },
      params: gemmParams({
        M, N, K, a_off: aOff + ao, a_m: K, a_k: 1, b_off: bOff + bBatch[t], b_k: N, b_n: 1,
        c_off: 0, c_m: 0, c_n: 0, y_off: yOff + t * M * N, alpha: 1, beta: 0,
      }),
      workgroups: ctx.grid(M * N, WORKGROUP_SIZE),
    }));
  },
};

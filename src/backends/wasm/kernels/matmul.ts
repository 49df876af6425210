import { matmulLayout } from '../../../ops/matmul.js';
import type { WasmKernel } from '../kernel.js';
import { gemmParams } from '../params.generated.js';

const NR = 8;
const BLOCK_BYTES = 4 * NR * 4;
/** The last panel of B when N is not divisible by 8 (src/backends/wasm/kernels/gemm.ts). */
const packedBBytes = (K: number, N: number): number => (N % NR ? K * NR * 4 : 0);

/**
 * matmul: one f32_gemm_4x8__wasmsimd (the shared GEMM micro-kernels) per batch of the
 * broadcast batch axes, A and B offset to that batch's matrices: a parameter block each,
 * written once at compile time.
 */
export const matmulKernel: WasmKernel<'matmul'> = {
  op: 'matmul',
  scratchBytes(node, graph) {
    const { N, K } = matmulLayout(node, graph.shape(node.inputs[0]), graph.shape(node.inputs[1]));
    return packedBBytes(K, N) + BLOCK_BYTES;
  },
  prepare(node, ctx) {
    const { M, N, K, aBatch, bBatch } = matmulLayout(node, ctx.graph.shape(node.inputs[0]), ctx.graph.shape(node.inputs[1]));
    const a = ctx.ptr(node.inputs[0]);
    const b = ctx.ptr(node.inputs[1]);
    const y = ctx.ptr(node.outputs[0]);
    const blocks = aBatch.map((ao, t) =>
      ctx.params(gemmParams({
        a: a + 4 * ao, b: b + 4 * bBatch[t], c: 0, y: y + 4 * t * M * N, m: M, n: N, k: K, sam: K, sak: 1, transB: 0,
        bp: ctx.scratch, cm: 0, cn: 0, alpha: 1, beta: 0, block: ctx.scratch + packedBBytes(K, N),
      })),
    );
    const f = ctx.exports.f32_gemm_4x8__wasmsimd;
    return () => {
      for (const p of blocks) f(p);
    };
  },
};

import { broadcastStrides } from '../../../ops/broadcast.js';
import type { WasmKernel } from '../kernel.js';
import { gemmParams } from '../params.generated.js';

/** Columns per panel of B': the GEMM micro-kernels' width (assembly/gemm-ukernel.ts). */
const NR = 8;
/** Bytes of the 4 x 8 block the micro-kernel hands to the epilogue. */
const BLOCK_BYTES = 4 * NR * 4;
/**
 * Bytes of the panels of B' (K x N) the kernel packs: all of them when B is transposed, else
 * the last one when N is not divisible by 8 (the others are read in place).
 */
const packedBBytes = (K: number, N: number, transB: boolean): number => (transB ? Math.ceil(N / NR) : N % NR ? 1 : 0) * K * NR * 4;

/**
 * gemm: f32_gemm_4x8__wasmsimd, Y = alpha * A' B' + beta * C, C broadcast to [M, N]. A
 * transposed A is read through swapped strides. B may be computed, so each run the kernel
 * packs into scratch the panels of 8 columns of B' it cannot read in place (all of a
 * transposed B, which transposes it; the last of an N not divisible by 8), then the
 * micro-kernel's block follows them.
 */
export const gemmKernel: WasmKernel<'gemm'> = {
  op: 'gemm',
  scratchBytes(node, graph) {
    const [, N] = graph.shape(node.outputs[0]);
    const K = node.attrs.transA ? graph.shape(node.inputs[0])[0] : graph.shape(node.inputs[0])[1];
    return packedBBytes(K, N, node.attrs.transB) + BLOCK_BYTES;
  },
  prepare(node, ctx) {
    const { alpha, beta, transA, transB } = node.attrs;
    const [a, b, c] = node.inputs;
    const [M, N] = ctx.graph.shape(node.outputs[0]);
    const K = transA ? ctx.graph.shape(a)[0] : ctx.graph.shape(a)[1];
    const [cm, cn] = c ? broadcastStrides(ctx.graph.shape(c), [M, N]) : [0, 0];
    const p = ctx.params(gemmParams({
      a: ctx.ptr(a), b: ctx.ptr(b), c: c ? ctx.ptr(c) : 0, y: ctx.ptr(node.outputs[0]), m: M, n: N, k: K,
      sam: transA ? 1 : K, sak: transA ? M : 1, transB: transB ? 1 : 0, bp: ctx.scratch, cm, cn, alpha, beta,
      block: ctx.scratch + packedBBytes(K, N, transB),
    }));
    const f = ctx.exports.f32_gemm_4x8__wasmsimd;
    return () => f(p);
  },
};


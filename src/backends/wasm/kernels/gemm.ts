import { broadcastStrides } from '../../../ops/broadcast.js';
import type { WasmKernel } from '../kernel.js';

/**
 * gemm: f32_gemm_1x16__wasmsimd, Y = alpha * A' B' + beta * C, C broadcast to [M, N]. A
 * transposed A is read through swapped strides; a transposed B is transposed into scratch
 * each run (B may be computed), so scratch holds K x N floats.
 */
export const gemmKernel: WasmKernel<'gemm'> = {
  op: 'gemm',
  scratchBytes(node, graph) {
    return node.attrs.transB ? graph.shape(node.inputs[1]).reduce((a, b) => a * b, 1) * 4 : 0;
  },
  prepare(node, ctx) {
    const { alpha, beta, transA, transB } = node.attrs;
    const [a, b, c] = node.inputs;
    const [M, N] = ctx.graph.shape(node.outputs[0]);
    const K = transA ? ctx.graph.shape(a)[0] : ctx.graph.shape(a)[1];
    const [cm, cn] = c ? broadcastStrides(ctx.graph.shape(c), [M, N]) : [0, 0];
    const p = ctx.params([
      ctx.ptr(a), ctx.ptr(b), c ? ctx.ptr(c) : 0, ctx.ptr(node.outputs[0]), M, N, K,
      transA ? 1 : K, transA ? M : 1, transB ? 1 : 0, ctx.scratch, cm, cn, { f32: alpha }, { f32: beta },
    ]);
    const f = ctx.exports.f32_gemm_1x16__wasmsimd;
    return () => f(p);
  },
};

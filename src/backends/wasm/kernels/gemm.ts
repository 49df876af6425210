import { broadcastStrides } from '../../../ops/broadcast.js';
import type { WasmKernel } from '../kernel.js';
import { gemmParams } from '../params.generated.js';

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
    const p = ctx.params(gemmParams({
      a: ctx.ptr(a), b: ctx.ptr(b), c: c ? ctx.ptr(c) : 0, y: ctx.ptr(node.outputs[0]), m: M, n: N, k: K,
      sam: transA ? 1 : K, sak: transA ? M : 1, transB: transB ? 1 : 0, bt: ctx.scratch, cm, cn, alpha, beta,
    }));
    const f = ctx.exports.f32_gemm_1x16__wasmsimd;
    return () => f(p);
  },
};

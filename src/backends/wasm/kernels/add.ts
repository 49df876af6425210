import type { OpType } from '../../../graph/graph.js';
import { sizeOf } from '../../../graph/graph.js';
import { collapseBroadcast } from '../../../ops/broadcast.js';
import type { KernelContext, Step, WasmKernel } from '../kernel.js';
import { binaryParams } from '../params.generated.js';
import type { ParallelKernel } from '../thread-pool.js';
import { share } from './conv2d.js';

/** Axes the broadcasting kernels loop over (assembly/binary.ts). */
const RANK = 6;
/**
 * Outputs below which an elementwise op runs on the calling thread alone: a parallel step
 * costs ~1-2 us (thread-pool.ts), about as long as 8192 elements take.
 */
export const PARALLEL_ELEMENTS = 8192;

/**
 * Runs `blockFor(t)`'s parameter block on thread t, or the whole op here when `count` is small
 * or there is one thread (`blockFor(-1)`: the whole op).
 */
export function elementwiseStep(ctx: KernelContext, fn: ParallelKernel, count: number, blockFor: (t: number) => number): Step {
  if (ctx.threads === 1 || count < PARALLEL_ELEMENTS) {
    const p = blockFor(-1);
    const f = ctx.exports[fn];
    return () => f(p);
  }
  const blocks = Array.from({ length: ctx.threads }, (_, t) => blockFor(t));
  return () => ctx.parallel(fn, blocks);
}

function binaryKernel(op: OpType, fn: ParallelKernel): WasmKernel {
  return {
    op,
    supports(node, graph) {
      const [a, b] = node.inputs;
      const axes = collapseBroadcast(graph.shape(node.outputs[0]), graph.shape(a), graph.shape(b)).dims.length;
      return axes <= RANK || `its broadcast needs ${axes} axes after merging; the wasm kernel loops over at most ${RANK}`;
    },
    prepare(node, ctx) {
      const { graph } = ctx;
      const [a, b] = node.inputs;
      const l = collapseBroadcast(graph.shape(node.outputs[0]), graph.shape(a), graph.shape(b));
      // Left-padded to RANK axes: extent 1, stride 0.
      const lead = (xs: number[], fill: number) => [...new Array<number>(RANK - xs.length).fill(fill), ...xs];
      const dims = lead(l.dims, 1), astr = lead(l.a, 0), bstr = lead(l.b, 0);
      // Threads split the outermost axis longer than 1 (the row itself in 4-float units).
      const axis = Math.max(0, dims.findIndex((d) => d > 1));
      const inner = dims.slice(axis + 1).reduce((x, y) => x * y, 1);
      const [pa, pb, py] = [ctx.ptr(a), ctx.ptr(b), ctx.ptr(node.outputs[0])];
      return elementwiseStep(ctx, fn, sizeOf(graph.shape(node.outputs[0])), (t) => {
        const [r0, r1] = t < 0 ? [0, dims[axis]] : share(dims[axis], ctx.threads, t, axis === RANK - 1 ? 4 : 1);
        const d = dims.map((v, i) => (i === axis ? r1 - r0 : v));
        return ctx.params(binaryParams({ a: pa + r0 * astr[axis] * 4, b: pb + r0 * bstr[axis] * 4, y: py + r0 * inner * 4, dims: d, astr, bstr }));
      });
    },
  };
}

/** add: f32_vadd_bcast__wasmsimd (NumPy broadcasting; in place when the planner allows). */
export const addKernel = binaryKernel('add', 'f32_vadd_bcast__wasmsimd');

/** mul: f32_vmul_bcast__wasmsimd (NumPy broadcasting; in place when the planner allows). */
export const mulKernel = binaryKernel('mul', 'f32_vmul_bcast__wasmsimd');

/** sub: f32_vsub_bcast__wasmsimd (NumPy broadcasting). */
export const subKernel = binaryKernel('sub', 'f32_vsub_bcast__wasmsimd');

/** div: f32_vdiv_bcast__wasmsimd (NumPy broadcasting). */
export const divKernel = binaryKernel('div', 'f32_vdiv_bcast__wasmsimd');

/** pow: f32_vpow_bcast__wasmsimd (NumPy broadcasting, C's pow). */
export const powKernel = binaryKernel('pow', 'f32_vpow_bcast__wasmsimd');

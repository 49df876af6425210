import type { OpType } from '../../../graph/graph.js';
import { collapseBroadcast } from '../../../ops/broadcast.js';
import type { WasmKernel } from '../kernel.js';
import { binaryParams } from '../params.generated.js';

/** Axes the broadcasting kernels loop over (assembly/binary.ts). */
const RANK = 6;

function binaryKernel(op: OpType, fn: string): WasmKernel {
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
      const p = ctx.params(binaryParams({ a: ctx.ptr(a), b: ctx.ptr(b), y: ctx.ptr(node.outputs[0]), dims: lead(l.dims, 1), astr: lead(l.a, 0), bstr: lead(l.b, 0) }));
      const f = ctx.exports[fn];
      return () => f(p);
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

import { ExecutableError } from '../../../graph/errors.js';
import type { OpType, Shape } from '../../../graph/graph.js';
import { broadcastStrides } from '../../../ops/broadcast.js';
import type { WasmKernel } from '../kernel.js';

/** Axes the broadcasting kernels loop over (assembly/binary.ts). */
const RANK = 6;

/** A broadcast reduced to as few axes as it needs: extents and each input's element strides. */
export interface BroadcastLoops {
  readonly dims: number[];
  readonly a: number[];
  readonly b: number[];
}

/**
 * Collapses a NumPy broadcast of `a` and `b` to `out`: size-1 axes go, and an axis merges
 * into the one inside it when both inputs continue contiguously across them (a stride-0
 * axis merges with a stride-0 axis). Equal shapes become one axis, a per-channel operand
 * [N, C, H*W]. Always at least one axis.
 */
export function collapseBroadcast(out: Shape, a: Shape, b: Shape): BroadcastLoops {
  const sa = broadcastStrides(a, out);
  const sb = broadcastStrides(b, out);
  const r: BroadcastLoops = { dims: [], a: [], b: [] };
  out.forEach((d, i) => {
    if (d === 1) return;
    const k = r.dims.length - 1;
    if (k >= 0 && r.a[k] === sa[i] * d && r.b[k] === sb[i] * d) {
      r.dims[k] *= d;
      r.a[k] = sa[i];
      r.b[k] = sb[i];
    } else {
      r.dims.push(d);
      r.a.push(sa[i]);
      r.b.push(sb[i]);
    }
  });
  return r.dims.length ? r : { dims: [1], a: [0], b: [0] };
}

function binaryKernel(op: OpType, fn: string): WasmKernel {
  return {
    op,
    prepare(node, ctx) {
      const { graph } = ctx;
      const [a, b] = node.inputs;
      const l = collapseBroadcast(graph.shape(node.outputs[0]), graph.shape(a), graph.shape(b));
      if (l.dims.length > RANK) {
        throw new ExecutableError(`node '${node.name}' (${op}): its broadcast needs ${l.dims.length} axes after merging; the wasm kernel loops over at most ${RANK}`);
      }
      // Left-padded to RANK axes: extent 1, stride 0.
      const lead = (xs: number[], fill: number) => [...new Array<number>(RANK - xs.length).fill(fill), ...xs];
      const p = ctx.params([ctx.ptr(a), ctx.ptr(b), ctx.ptr(node.outputs[0]), ...lead(l.dims, 1), ...lead(l.a, 0), ...lead(l.b, 0)]);
      const f = ctx.exports[fn];
      return () => f(p);
    },
  };
}

/** add: f32_vadd_bcast__wasmsimd (NumPy broadcasting; in place when the planner allows). */
export const addKernel = binaryKernel('add', 'f32_vadd_bcast__wasmsimd');

/** mul: f32_vmul_bcast__wasmsimd (NumPy broadcasting; in place when the planner allows). */
export const mulKernel = binaryKernel('mul', 'f32_vmul_bcast__wasmsimd');

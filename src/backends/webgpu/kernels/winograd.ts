import type { Graph, Node } from '../../../graph/graph.js';
import type { NodeOf } from '../../../ops/attrs.js';
import { winogradPays, winogradShapeOf, winogradTiles } from '../../../cost/winograd.js';
import { transformWinogradWeights, winogradApplies } from '../../wasm/kernels/winograd.js';
import { WORKGROUP_SIZE, type Dispatch, type GpuKernelContext } from '../kernel.js';
import { winogradGemmParams, winogradParams } from '../params.generated.js';

/**
 * 3x3 stride-1 convs (groups 1, dilation 1, constant weights, any padding) by Winograd's
 * F(4x4, 3x3) (kernels/winograd.wgsl): input transform, 36 GEMMs (kernels/winograd-gemm.wgsl),
 * output transform with the epilogue. The
 * weights are transformed once at compile by the wasm backend's float64 transform (rounded
 * once) and laid out [36][M][C]; the transformed tiles V [36][C][P] and products M [36][M][P]
 * (P = tiles over the batch) live in the executable's scratch region, for the node's step only.
 */

/** Positions of the transformed 6x6 tile. */
const XI = 36;

/** Whether the node runs by Winograd under the compile option `winograd` (the wasm backend's rule: src/cost/winograd.ts). */
export function runsWinogradOnGpu(node: NodeOf<'conv2d'>, graph: Graph, option: boolean | 'all'): boolean {
  if (option === false || !winogradApplies(node, graph)) return false;
  return option === 'all' || winogradPays(winogradShapeOf(node, graph));
}

function sizes(node: Node, graph: Graph) {
  const s = winogradShapeOf(node, graph);
  const { TW, tiles } = winogradTiles(s);
  const P = graph.shape(node.inputs[0])[0] * tiles;
  return { ...s, TW, tiles, P, v: XI * s.C * P, m: XI * s.M * P };
}

/** Floats of scratch the node's V and M take, when it runs by Winograd. */
export function winogradScratchFloats(node: NodeOf<'conv2d'>, graph: Graph, options: { winograd: boolean | 'all' }): number {
  if (!runsWinogradOnGpu(node, graph, options.winograd)) return 0;
  const { v, m } = sizes(node, graph);
  return v + m;
}

/** U = G g G^T as [36][M][C]: the wasm transform's micro-kernel panels (per xi, per 4 output channels, C rows of 4) re-laid out. */
function transformedWeights(w: Float32Array, C: number, M: number): Float32Array {
  const packed = transformWinogradWeights(w, C, M);
  const plane = Math.ceil(M / 4) * 4 * C;
  const u = new Float32Array(XI * M * C);
  for (let xi = 0, at = 0; xi < XI; xi++) {
    for (let m = 0; m < M; m++) {
      const row = xi * plane + (m >> 2) * 4 * C + (m & 3);
      for (let c = 0; c < C; c++) u[at++] = packed[row + 4 * c];
    }
  }
  return u;
}

/**
 * The three dispatches of a Winograd conv (the caller, kernels/conv2d.ts, checked
 * runsWinogradOnGpu and hands over its epilogue fields and its GEMM tile rule).
 */
export function winogradDispatches(
  node: NodeOf<'conv2d'>,
  ctx: GpuKernelContext,
  epilogue: { act: number; p0: number; p1: number },
  convTile: (P: number, M: number, K: number) => { WG_M: number; WG_N: number; TK: number },
): Dispatch[] {
  const { graph } = ctx;
  const s = sizes(node, graph);
  const [x, w, b, r] = node.inputs;
  const u = ctx.constant(XI * s.M * s.C, () => transformedWeights(graph.weight(w), s.C, s.M));
  const v = ctx.scratch;
  const m = v + s.v;
  const fields = {
    C: s.C, H: s.H, W: s.W, M: s.M, OH: s.OH, OW: s.OW, TW: s.TW, tiles: s.tiles, P: s.P,
    pt: node.attrs.pads[0], pl: node.attrs.pads[1],
    x_off: ctx.offset(x), w_off: ctx.offset(w), v_off: v, m_off: m,
    b_off: b ? ctx.offset(b) : 0, r_off: r ? ctx.offset(r) : 0, y_off: ctx.offset(node.outputs[0]),
    ...epilogue, bias: b ? 1 : 0, residual: r ? 1 : 0,
  };
  // M[xi] = U[xi] V[xi] (kernels/winograd-gemm.wgsl), in the conv GEMM's tiles for this shape.
  const tile = convTile(s.P, s.M, s.C);
  const gemm: Dispatch = {
    kernel: 'winograd-gemm',
    constants: tile,
    params: winogradGemmParams({ C: s.C, M: s.M, P: s.P, u_off: u, v_off: v, m_off: m }),
    workgroups: [Math.ceil(s.P / (8 * tile.WG_N)), Math.ceil(s.M / (8 * tile.WG_M)), XI],
  };
  return [
    { kernel: 'winograd', constants: { WORKGROUP_SIZE, OUTPUT: false }, params: winogradParams(fields), workgroups: ctx.grid(s.C * s.P, WORKGROUP_SIZE) },
    gemm,
    { kernel: 'winograd', constants: { WORKGROUP_SIZE, OUTPUT: true }, params: winogradParams(fields), workgroups: ctx.grid(s.M * s.P, WORKGROUP_SIZE) },
  ];
}

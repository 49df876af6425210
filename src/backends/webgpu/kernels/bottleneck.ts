import type { Graph } from '../../../graph/graph.js';
import type { NodeOf } from '../../../ops/attrs.js';
import { activationArgs, type FusedActivation } from '../../../ops/fused-activation.js';
import { invertedResidualShape, type InvertedResidualShape } from '../../../ops/inverted-residual.js';
import type { GpuContext } from '../device.js';
import type { GpuKernel } from '../kernel.js';
import { bottleneckParams } from '../params.generated.js';
import { bottleneckConstants } from '../shaders/bottleneck.js';
import { ACT } from '../wgsl.js';

/**
 * kernels/bottleneck.wgsl's fixed sizes: invocations per workgroup, floats of e_tile and vec4s
 * of d_tile (9 + 7 KiB: WebGPU's guaranteed 16 KiB of workgroup storage). The tile is uniform
 * data, so the shader has one pipeline per (MR, UNIT_W): on SwiftShader a pipeline took
 * 7-18 s to build, and with the tile as override constants MobileNetV2 asked for 12 of them
 * (MobileNetV2 at 224x224: cold start 35 -> 16 s, a warm run 8% slower there; EfficientNet-B0
 * 36 -> 18 s, 11% slower; old and new alternated in one process).
 */
export const { WG, E_SIZE, D_SIZE } = bottleneckConstants;
/** The largest output tile side and expanded-channel chunk tried. */
const MAX_SIDE = 16;
const MAX_CH = 32;
/** Workgroups below which SwiftShader leaves a core idle (and a GPU most of itself): tiles making fewer cost more. */
const MIN_WORKGROUPS = 2;

/** How kernels/bottleneck.wgsl cuts a node: its tile (uniforms), its two override constants (MR, UNIT_W) and grid. */
export interface BottleneckTile {
  TH: number; TW: number; IH: number; IW: number; CH: number; MR: number; GM: number; UNIT_W: boolean;
  /** Floats of e_tile and vec4s of d_tile the tile uses (within the shader's E_SIZE and D_SIZE). */
  eFloats: number; dVectors: number;
  /** Output-channel slices (workgroup z): each expands its window again. */
  slices: number;
  tilesW: number;
  tilesH: number;
}

/** Input rows (or columns) inside the image of each tile's window, summed over the tiles along one side. */
function windowsInside(out: number, tile: number, window: number, stride: number, pad: number, extent: number): number {
  let sum = 0;
  for (let o = 0; o < out; o += tile) {
    const i0 = o * stride - pad;
    sum += Math.max(0, Math.min(extent, i0 + window) - Math.max(0, i0));
  }
  return sum;
}

/**
 * The tile of least estimated work (in lane operations, SwiftShader running invocations as
 * SIMD lanes, a load costing a gather): every workgroup expands the part of its input window
 * inside the image, so small tiles expand the overlap of neighbouring windows again, and each
 * output-channel slice expands it all again; large tiles take more chunks and leave fewer
 * workgroups. Every tile runs in workgroups of 256 invocations with the shader's fixed
 * e_tile and d_tile; undefined when no tile fits them.
 */
export function bottleneckTile(s: InvertedResidualShape): BottleneckTile | undefined {
  let best: BottleneckTile | undefined;
  let bestCost = Infinity;
  const taps = s.KH * s.KW;
  for (let TH = 1; TH <= Math.min(s.OH, MAX_SIDE); TH++) {
    for (let TW = 1; TW <= Math.min(s.OW, MAX_SIDE); TW++) {
      const TP = TH * TW;
      const GP = Math.ceil(TP / 4);
      if (GP > WG || TP > 128) continue;
      const IH = (TH - 1) * s.stride[0] + (s.KH - 1) * s.dilation[0] + 1;
      const IW = (TW - 1) * s.stride[1] + (s.KW - 1) * s.dilation[1] + 1;
      const IPP = Math.ceil((IH * IW) / 4) * 4;
      const CH = Math.min(MAX_CH, Math.ceil(s.Ce / 4) * 4, Math.floor(E_SIZE / IPP / 4) * 4, s.project ? Math.floor(D_SIZE / GP / 4) * 4 : Infinity);
      if (CH < 4) continue;
      const LG = Math.floor(WG / GP);
      // Output channels: GM lanes of MR (4 or 8) per pixel group, per slice.
      let MR = 4;
      let GM = 1;
      let slices = 1;
      if (s.project) {
        MR = s.Cout > 4 * LG ? 8 : 4;
        slices = Math.ceil(s.Cout / (MR * LG));
        GM = Math.ceil(s.Cout / slices / MR);
      }
      const tilesH = Math.ceil(s.OH / TH);
      const tilesW = Math.ceil(s.OW / TW);
      const tiles = tilesH * tilesW;
      const inside = windowsInside(s.OH, TH, IH, s.stride[0], s.pads[0], s.H) * windowsInside(s.OW, TW, IW, s.stride[1], s.pads[1], s.W);
      const chunks = Math.ceil(s.Ce / CH);
      // Per chunk, all tiles: the expand's items of 4 x 4 (8 loads of 4 and 16 FMAs a step of
      // Cin; a copy without expand), the depthwise conv's of 1 x 4 (5 loads and 4 FMAs a tap),
      // the projection's MR x 4 (1 + MR loads and 4 MR FMAs a channel), a barrier a tile.
      const expand = (CH / 4) * Math.ceil(inside / 4) * (s.expand ? 48 * s.Cin + 150 : 90);
      // Stride 1 along rows of a multiple of 4: one new load a tap but a row's first (UNIT_W).
      const UNIT_W = s.stride[1] === 1 && s.dilation[1] === 1 && TW % 4 === 0;
      const dw = tiles * CH * GP * ((UNIT_W ? 12 + Math.ceil((16 * (s.KW + 3)) / s.KW / 4) : 24) * taps + 40);
      const project = s.project ? tiles * GM * GP * CH * (4 + 8 * MR) : 0;
      const workgroups = tiles * slices * s.N;
      const cost = (s.N * slices * chunks * (expand + dw + project + tiles * 2000) + workgroups * 4000) * Math.max(1, MIN_WORKGROUPS / workgroups);
      if (cost < bestCost) {
        bestCost = cost;
        best = { TH, TW, IH, IW, CH, MR, GM, UNIT_W, eFloats: CH * IPP, dVectors: s.project ? CH * GP : 0, slices, tilesW, tilesH };
      }
    }
  }
  return best;
}

function tileOf(node: NodeOf<'invertedresidual'>, graph: Graph, gpu: GpuContext): BottleneckTile | undefined {
  const s = invertedResidualShape(node, node.inputs.map((t) => graph.shape(t)));
  // WebGPU guarantees these; an adapter reporting less (a test double) runs the block as its convs.
  const { maxComputeWorkgroupStorageSize: storage, maxComputeInvocationsPerWorkgroup: invocations, maxComputeWorkgroupSizeX: sizeX } = gpu.limits;
  if (storage < 4 * E_SIZE + 16 * D_SIZE || Math.min(invocations, sizeX) < WG) return undefined;
  const tile = bottleneckTile(s);
  const max = gpu.limits.maxComputeWorkgroupsPerDimension;
  return tile && tile.tilesH * tile.tilesW <= max && s.N <= max && tile.slices <= max ? tile : undefined;
}

/** A fused activation's code and arguments. */
function act(a: FusedActivation | undefined): [number, number, number] {
  return [a ? ACT[a.op] : ACT.none, ...activationArgs(a)];
}

/**
 * invertedresidual in one dispatch of kernels/bottleneck.wgsl: each workgroup computes a
 * tile of output pixels through the whole block, the expanded channels a chunk at a time in
 * workgroup memory, so neither the expanded tensor nor the depthwise output is ever in the
 * arena (the node needs no workspace). Nodes no tile fits run as their convs
 * (webgpu-backend.ts lowers them).
 */
export const invertedresidualKernel: GpuKernel<'invertedresidual'> = {
  op: 'invertedresidual',
  supports(node, graph, gpu) {
    if (!node.inputs.slice(1).every((t) => graph.initializers.has(t))) return 'weights that are not constants';
    return tileOf(node, graph, gpu) ? true : 'no tile of the fused kernel fits the workgroup limits';
  },
  prepare(node, ctx) {
    const { graph } = ctx;
    const s = invertedResidualShape(node, node.inputs.map((t) => graph.shape(t)));
    const t = tileOf(node, graph, ctx.gpu);
    if (!t) throw new Error(`invertedresidual '${node.name}': no tile fits (supports() should have refused it)`);
    const a = node.attrs;
    const [x, ...w] = node.inputs;
    let k = 0;
    const w1 = a.expand ? ctx.offset(w[k++]) : 0;
    const b1 = a.expand ? ctx.offset(w[k++]) : 0;
    const wd = ctx.offset(w[k++]);
    const bd = ctx.offset(w[k++]);
    const w2 = a.project ? ctx.offset(w[k++]) : 0;
    const b2 = a.project ? ctx.offset(w[k++]) : 0;
    const [act1, p10, p11] = act(a.expandActivation);
    const [act2, p20, p21] = act(a.dwActivation);
    const [act3, p30, p31] = act(a.projectActivation);
    const { TH, TW, IH, IW, CH, MR, GM, UNIT_W } = t;
    return [
      {
        kernel: 'bottleneck',
        constants: { MR, UNIT_W },
        params: bottleneckParams({
          Cin: s.Cin, H: s.H, W: s.W, Ce: s.Ce, Cout: s.Cout, OH: s.OH, OW: s.OW, KH: s.KH, KW: s.KW,
          sh: s.stride[0], sw: s.stride[1], pt: s.pads[0], pl: s.pads[1], dh: s.dilation[0], dw: s.dilation[1], tiles_w: t.tilesW, TH, TW, IH, IW, CH, GM,
          x_off: ctx.offset(x), w1_off: w1, b1_off: b1, wd_off: wd, bd_off: bd, w2_off: w2, b2_off: b2, y_off: ctx.offset(node.outputs[0]),
          expand: a.expand ? 1 : 0, project: a.project ? 1 : 0, residual: a.residual ? 1 : 0,
          act1, p10, p11, act2, p20, p21, act3, p30, p31,
        }),
        workgroups: [t.tilesH * t.tilesW, s.N, t.slices],
      },
    ];
  },
};

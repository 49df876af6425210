import type { Graph, Node } from '../../../graph/graph.js';
import type { NodeOf } from '../../../ops/attrs.js';
import { activationArgs, fusedActivation } from '../../../ops/fused-activation.js';
import type { WindowAttrs } from '../../../ops/window.js';
import { ACT } from '../wgsl.js';
import { WORKGROUP_SIZE, type Dispatch, type GpuKernel, type GpuKernelContext } from '../kernel.js';
import { conv2dDirectParams, conv2dParams } from '../params.generated.js';
import { runsWinogradOnGpu, winogradDispatches, winogradScratchFloats } from './winograd.js';

/**
 * The tiled GEMM's tile for P output pixels: WG_M x WG_N invocations of 8 x 8 outputs each,
 * TM = 8 WG_M channels by TN = 8 WG_N pixels, stepping TK through K (kernels/conv2d.wgsl).
 * Measured on SwiftShader (the only adapter here): 16 x 16 invocations of 4 x 4 ran at 0.6x
 * the speed of 8 x 8 of 8 x 8, TK = 16 at 0.85x. Few pixels (the last stages of a network
 * at a small input) take narrower, taller tiles, and few output channels shorter, wider
 * ones, so the tile is not mostly padding. Every tile stays within WebGPU's guaranteed
 * 16 KiB of workgroup memory.
 */
export function convTile(P: number, Mg: number, K: number): { WG_M: number; WG_N: number; TK: number } {
  if (P <= 32) return { WG_M: 16, WG_N: P > 16 ? 4 : 2, TK: 16 };
  // Few output channels over a long K (LeNet's conv2: 16 x 150): short, wide tiles, 4x
  // faster there. Over a short K (LeNet's conv1: 6 x 25) staging dominates, and they lose.
  if (Mg <= 16 && K >= 64) return { WG_M: Mg <= 8 ? 1 : 2, WG_N: 32, TK: 8 };
  return { WG_M: 8, WG_N: 8, TK: 32 };
}

/**
 * Below these the tiled GEMM's tiles are mostly padding and the direct kernel wins:
 * depthwise convs (Cg = 1) always, and convs with very short K.
 */
const DIRECT_MAX_K = 16;
/** Nor do they when there are this few output pixels (measured: ResNet-18's last stage at a 32x32 input ran 3x faster direct). */
const DIRECT_MAX_P = 8;
/**
 * Nor for a spatial kernel over few input channels per group (a network's stem, LeNet-5's
 * second conv, GoogLeNet's 5x5 branches) at stride 1 or 2: the direct kernel's blocks of
 * 4 channels by 4 pixels reuse each input across a row's taps. Measured on SwiftShader
 * (kernel time, the two interleaved, min of 4): 3->32 3x3 s2 at 96x96 5x faster direct,
 * 3->64 7x7 s2 1.4x, 16->32 5x5 and 16->16 3x3 1.5x; the GEMM stayed ahead from 24 input
 * channels, for 1x1 convs, and for AlexNet's 11x11 s4 stem.
 */
const DIRECT_MAX_CG = 16;
/** The direct kernel computes 4 output channels per invocation unless that leaves fewer invocations than this. */
const DIRECT_MIN_INVOCATIONS = 2048;

/** The activation code and its two (f32) parameters (uniforms of the epilogue), from a node's fused `activation`. */
export function epilogue(node: Node): { act: number; p0: number; p1: number } {
  const a = fusedActivation(node);
  if (!a) return { act: ACT.none, p0: 0, p1: 0 };
  if (a.op === 'clip') return { act: ACT.clip, p0: a.min, p1: a.max };
  if (a.op === 'leakyrelu') return { act: ACT.leakyrelu, p0: a.alpha, p1: 0 };
  if (a.op !== 'relu') {
    const [p0, p1] = activationArgs(a);
    return { act: ACT[a.op], p0, p1 };
  }
  return { act: ACT.relu, p0: 0, p1: 0 };
}

export interface Conv {
  N: number; C: number; H: number; W: number; M: number; OH: number; OW: number;
  groups: number; Cg: number; KH: number; KW: number; K: number; Mg: number;
  /** The stride along the width. */
  sw: number;
}

function convShape(node: NodeOf<'conv2d'>, graph: Graph): Conv {
  const [N, C, H, W] = graph.shape(node.inputs[0]);
  const [M, Cg, KH, KW] = graph.shape(node.inputs[1]);
  const [, , OH, OW] = graph.shape(node.outputs[0]);
  const { groups } = node.attrs;
  return { N, C, H, W, M, OH, OW, groups, Cg, KH, KW, K: Cg * KH * KW, Mg: M / groups, sw: node.attrs.stride[1] };
}

/** Whether a conv runs the direct kernel rather than the tiled GEMM. */
const isDirect = (s: Conv) =>
  s.Cg === 1 || s.K <= DIRECT_MAX_K || s.N * s.OH * s.OW <= DIRECT_MAX_P ||
  (s.Cg <= DIRECT_MAX_CG && s.KH * s.KW > 1 && s.sw <= 2);

/** The tiled GEMM's workgroups: pixel tiles, channel tiles, groups. */
function gemmGrid(s: Conv, tile: { WG_M: number; WG_N: number }): [number, number, number] {
  return [Math.ceil((s.N * s.OH * s.OW) / (8 * tile.WG_N)), Math.ceil(s.Mg / (8 * tile.WG_M)), s.groups];
}

/** Whether the conv fits the adapter's workgroup grid (the tiled GEMM's is 3-D, per dimension), or why not. */
export function convSupport(s: Conv, maxPerDimension: number): true | string {
  if (isDirect(s)) return true;
  const grid = gemmGrid(s, convTile(s.N * s.OH * s.OW, s.Mg, s.K));
  return grid.every((g) => g <= maxPerDimension) || `it needs ${grid.join(' x ')} workgroups; the adapter allows ${maxPerDimension} per dimension`;
}

/** A conv2d node's dispatch: kernels/conv2d.wgsl (tiled implicit GEMM) or kernels/conv2d-direct.wgsl. */
export function convDispatch(
  node: Node,
  ctx: GpuKernelContext,
  s: Conv,
  offsets: { x: number; w: number; b?: number; r?: number; y: number },
  { stride, pads, dilation }: Pick<WindowAttrs, 'stride' | 'pads' | 'dilation'>,
): Dispatch {
  // The fields both kernels share (conv2d-direct adds N, C, H, W and its blocks; conv2d C,
  // H, W, K, P), the epilogue among them: uniforms, so that one pipeline serves them all.
  const shared = {
    OH: s.OH, OW: s.OW, M: s.M, Mg: s.Mg, Cg: s.Cg, KH: s.KH, KW: s.KW,
    sh: stride[0], sw: stride[1], pt: pads[0], pl: pads[1], dh: dilation[0], dw: dilation[1],
    x_off: offsets.x, w_off: offsets.w, b_off: offsets.b ?? 0, r_off: offsets.r ?? 0, y_off: offsets.y,
    ...epilogue(node), bias: offsets.b === undefined ? 0 : 1, residual: offsets.r === undefined ? 0 : 1,
  };
  const P = s.N * s.OH * s.OW;
  if (isDirect(s)) {
    // Blocks of MB output channels by 4 pixels of a row (kernels/conv2d-direct.wgsl); one
    // channel per invocation for depthwise convs, and when blocks of 4 would leave too few
    // invocations to spread; one output per invocation (SINGLE) on rows narrower than 4.
    const owb = Math.ceil(s.OW / 4);
    const SINGLE = s.OW < 4;
    const MB = SINGLE || s.Mg === 1 || s.N * s.groups * Math.ceil(s.Mg / 4) * s.OH * owb < DIRECT_MIN_INVOCATIONS ? 1 : 4;
    const blocks = { G: s.groups, MBG: Math.ceil(s.Mg / MB), OWB: owb };
    const invocations = SINGLE ? s.N * s.M * s.OH * s.OW : s.N * s.groups * blocks.MBG * s.OH * owb;
    return {
      kernel: 'conv2d-direct',
      constants: { WORKGROUP_SIZE, MB, UNIT_W: stride[1] === 1 && dilation[1] === 1, SINGLE },
      params: conv2dDirectParams({ N: s.N, C: s.C, H: s.H, W: s.W, ...blocks, ...shared }),
      workgroups: ctx.grid(invocations, WORKGROUP_SIZE),
    };
  }
  const tile = convTile(P, s.Mg, s.K);
  const grid = gemmGrid(s, tile);
  const refused = convSupport(s, ctx.gpu.limits.maxComputeWorkgroupsPerDimension);
  if (refused !== true) throw new Error(`conv '${node.name}': ${refused} (supports() should have refused it)`);
  return {
    kernel: 'conv2d',
    constants: tile,
    params: conv2dParams({ C: s.C, H: s.H, W: s.W, K: s.K, P, ...shared }),
    workgroups: grid,
  };
}

/** conv2d: bias, residual and activation fused into the epilogue; 3x3 stride-1 convs by Winograd where it pays (winograd.ts). */
export const conv2dKernel: GpuKernel<'conv2d'> = {
  op: 'conv2d',
  supports: (node, graph, gpu) => convSupport(convShape(node, graph), gpu.limits.maxComputeWorkgroupsPerDimension),
  scratchFloats: winogradScratchFloats,
  prepare(node, ctx) {
    if (runsWinogradOnGpu(node, ctx.graph, ctx.winograd)) return winogradDispatches(node, ctx, epilogue(node), convTile);
    const [x, w, b, r] = node.inputs;
    return [
      convDispatch(node, ctx, convShape(node, ctx.graph), {
        x: ctx.offset(x),
        w: ctx.offset(w),
        b: b ? ctx.offset(b) : undefined,
        r: r ? ctx.offset(r) : undefined,
        y: ctx.offset(node.outputs[0]),
      }, node.attrs),
    ];
  },
};

import type { Graph, Node } from '../../../graph/graph.js';
import type { NodeOf } from '../../../ops/attrs.js';
import { activationArgs, fusedActivation } from '../../../ops/fused-activation.js';
import { ACTIVATION_CODES } from '../../params.js';
import type { KernelContext, WasmKernel } from '../kernel.js';
import { conv2dGemmParams, dwconvParams } from '../params.generated.js';
import { prepareWinograd, winogradApplies, winogradPays, winogradScratch, winogradShape } from './winograd.js';

/** Output channels per micro-kernel block (f32_gemm_ukernel_4x8), its pixels, pixels per im2col tile (assembly/conv2d.ts). */
const MR = 4;
const NR = 8;
const TILE = 64;
/** Rows of K per chunk: a 512 x 64 im2col chunk (128 KiB) stays in cache across channel blocks. */
const KC = 512;

/**
 * Bytes of one thread's scratch for the GEMM path: im2col tile, the block the micro-kernel
 * hands to the epilogue, the chunk accumulators.
 */
function gemmScratch(s: ConvShape): { col: number; block: number; acc: number; total: number } {
  const col = s.K * TILE * 4;
  const block = MR * NR * 4;
  const acc = s.K > KC ? s.MBg * MR * TILE * 4 : 0;
  return { col, block, acc, total: col + block + acc };
}

interface ConvShape {
  C: number; H: number; W: number; M: number; OH: number; OW: number;
  groups: number; KH: number; KW: number; K: number; Mg: number; MBg: number;
}

function convShape(node: NodeOf<'conv2d'>, graph: Graph): ConvShape {
  const [, C, H, W] = graph.shape(node.inputs[0]);
  const [M, Cg, KH, KW] = graph.shape(node.inputs[1]);
  const [, , OH, OW] = graph.shape(node.outputs[0]);
  const { groups } = node.attrs;
  const Mg = M / groups;
  return { C, H, W, M, OH, OW, groups, KH, KW, K: Cg * KH * KW, Mg, MBg: Math.ceil(Mg / MR) };
}

/**
 * Packs [M, Cg, KH, KW] weights for the 4x8 GEMM micro-kernel: per group, per block of 4
 * output channels, K rows of 4 floats (missing channels zero).
 */
export function packConvWeights(w: Float32Array<ArrayBufferLike>, s: ConvShape, out: Float32Array<ArrayBufferLike> = new Float32Array(s.groups * s.MBg * s.K * MR)): Float32Array<ArrayBufferLike> {
  for (let g = 0; g < s.groups; g++) {
    for (let mb = 0; mb < s.MBg; mb++) {
      const base = (g * s.MBg + mb) * s.K * MR;
      for (let r = 0; r < MR; r++) {
        const m = mb * MR + r;
        if (m >= s.Mg) continue;
        const src = (g * s.Mg + m) * s.K;
        for (let k = 0; k < s.K; k++) out[base + k * MR + r] = w[src + k];
      }
    }
  }
  return out;
}


/** A depthwise conv: one input channel per group (any channel multiplier), weights constant. */
function isDepthwise(node: NodeOf<'conv2d'>, graph: Graph): boolean {
  const s = convShape(node, graph);
  return s.groups === s.C && s.groups > 1 && graph.initializers.has(node.inputs[1]);
}

/** A fused activation as the epilogues read it (the act, a0, a1 fields): its code (assembly/params.ts) and two f32 arguments. */
export function activationParams(node: Node): { act: number; a0: number; a1: number } {
  const act = fusedActivation(node);
  const [a0, a1] = activationArgs(act);
  return { act: ACTIVATION_CODES[act?.op ?? 'none'], a0, a1 };
}

/**
 * conv2d: f32_dwconv2d__wasmsimd for depthwise convs, f32_conv2d_gemm_4x8__wasmsimd for every other (any
 * kernel, stride, dilation, padding, groups); both with fused bias, residual and activation.
 */
export const conv2dKernel: WasmKernel<'conv2d'> = {
  op: 'conv2d',
  scratchBytes(node, graph) {
    const s = convShape(node, graph);
    if (isDepthwise(node, graph)) {
      const [t, l, b, r] = node.attrs.pads;
      return (s.H + t + b) * (s.W + l + r) * 4 + 64;
    }
    // Winograd's where it may run (compile options decide: then some may be unused).
    return Math.max(gemmScratch(s).total, winogradApplies(node, graph) ? winogradScratch(winogradShape(node, graph)).total : 0);
  },
  prepare(node, ctx) {
    if (isDepthwise(node, ctx.graph)) return prepareDepthwise(node, ctx);
    if (ctx.winograd === 'all' ? winogradApplies(node, ctx.graph) : ctx.winograd && runsWinograd(node, ctx.graph)) return prepareWinograd(node, ctx, activationParams(node));
    return prepareGemm(node, ctx);
  },
};

/**
 * 3x3 stride-1 convs (groups 1, dilation 1, constant weights) run by Winograd F(4x4, 3x3)
 * (kernels/winograd.ts) where their shape makes it pay, unless compiled with `winograd: false`.
 */
export function runsWinograd(node: NodeOf<'conv2d'>, graph: Graph): boolean {
  return winogradApplies(node, graph) && winogradPays(winogradShape(node, graph));
}

/** Thread t's share [start, end) of `count` items split evenly over `threads`, in units of `unit`. */
export function share(count: number, threads: number, t: number, unit = 1): [number, number] {
  const units = Math.ceil(count / unit);
  const at = (i: number) => Math.min(count, Math.floor((i * units) / threads) * unit);
  return [at(t), at(t + 1)];
}

function prepareDepthwise(node: NodeOf<'conv2d'>, ctx: KernelContext) {
  const { graph } = ctx;
  const s = convShape(node, graph);
  const a = node.attrs;
  const [x, w, b, r] = node.inputs;
  const [N] = graph.shape(x);
  const inImage = s.C * s.H * s.W * 4;
  const outImage = s.M * s.OH * s.OW * 4;
  // Threads split the channels; each pads its planes in its own scratch.
  const images = Array.from({ length: N }, (_, n) =>
    Array.from({ length: ctx.threads }, (_, t) => {
      const [c0, c1] = share(s.C, ctx.threads, t);
      return ctx.params(dwconvParams({
        x: ctx.ptr(x) + n * inImage, w: ctx.ptr(w), bias: b ? ctx.ptr(b) : 0, res: r ? ctx.ptr(r) + n * outImage : 0,
        y: ctx.ptr(node.outputs[0]) + n * outImage, pad: ctx.scratchOf(t),
        c: s.C, h: s.H, wd: s.W, m: s.M, oh: s.OH, ow: s.OW, kh: s.KH, kw: s.KW, sh: a.stride[0], sw: a.stride[1],
        pt: a.pads[0], pl: a.pads[1], pb: a.pads[2], pr: a.pads[3], dh: a.dilation[0], dw: a.dilation[1], ...activationParams(node),
        c0, c1,
      }));
    }),
  );
  return () => {
    for (const blocks of images) ctx.parallel('f32_dwconv2d__wasmsimd', blocks);
  };
}

function prepareGemm(node: NodeOf<'conv2d'>, ctx: KernelContext) {
  const { graph } = ctx;
  const s = convShape(node, graph);
  const a = node.attrs;
  const [x, w, b, r] = node.inputs;
  const packedLength = s.groups * s.MBg * s.K * MR;
  // Weights known at compile time are packed once; weights fed as graph inputs, each run.
  const constant = graph.initializers.has(w);
  const packed = constant ? ctx.uploadPacked(packedLength, (into) => packConvWeights(graph.weight(w), s, into)) : ctx.alloc(packedLength * 4);
  const wPtr = constant ? 0 : ctx.ptr(w);
  const bias = b ? ctx.ptr(b) : 0;
  const [N] = graph.shape(x);
  const inImage = s.C * s.H * s.W * 4;
  const outImage = s.M * s.OH * s.OW * 4;
  // Threads split the pixel tiles when they share out evenly enough, else the blocks of
  // output channels. Splitting channels makes every thread build every im2col tile, which
  // cost ~30% of an early ResNet layer when measured; so tiles win unless uneven by >15%.
  // Each thread builds its tiles in its own scratch.
  const P = s.OH * s.OW;
  const tiles = Math.ceil(P / TILE);
  const scratch = gemmScratch(s);
  const worst = (count: number, size: (a: number, b: number) => number) =>
    Math.max(...Array.from({ length: ctx.threads }, (_, t) => size(...share(count, ctx.threads, t)))) / (size(0, count) / ctx.threads);
  const tileImbalance = worst(tiles, (a, b) => Math.min(P, b * TILE) - Math.min(P, a * TILE));
  const blockImbalance = worst(s.MBg, (a, b) => b - a);
  const byTiles = tileImbalance <= 1.15 || tileImbalance < blockImbalance;
  const images = Array.from({ length: N }, (_, n) =>
    Array.from({ length: ctx.threads }, (_, t) => {
      const [t0, t1] = byTiles ? share(tiles, ctx.threads, t) : [0, tiles];
      const [m0, m1] = byTiles ? [0, s.MBg] : share(s.MBg, ctx.threads, t);
      return ctx.params(conv2dGemmParams({
        x: ctx.ptr(x) + n * inImage, w: packed, bias, res: r ? ctx.ptr(r) + n * outImage : 0, y: ctx.ptr(node.outputs[0]) + n * outImage,
        col: ctx.scratchOf(t), c: s.C, h: s.H, wd: s.W, m: s.M, oh: s.OH, ow: s.OW, groups: s.groups, kh: s.KH, kw: s.KW,
        sh: a.stride[0], sw: a.stride[1], pt: a.pads[0], pl: a.pads[1], dh: a.dilation[0], dw: a.dilation[1], ...activationParams(node),
        nt: TILE, block: ctx.scratchOf(t) + scratch.col, tile0: t0, tile1: t1, mb0: m0, mb1: m1, kc: KC,
        acc: ctx.scratchOf(t) + scratch.col + scratch.block,
      }));
    }),
  );
  return () => {
    if (!constant) {
      const mem = ctx.f32();
      packConvWeights(mem.subarray(wPtr / 4, wPtr / 4 + s.M * s.K), s, mem.subarray(packed / 4, packed / 4 + packedLength));
    }
    for (const blocks of images) ctx.parallel('f32_conv2d_gemm_4x8__wasmsimd', blocks);
  };
}

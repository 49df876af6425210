import type { Graph, Node } from '../../../graph/graph.js';
import type { NodeOf } from '../../../ops/attrs.js';
import { activationArgs, fusedActivation } from '../../../ops/fused-activation.js';
import { ACTIVATION_CODES } from '../../params.js';
import type { KernelContext, WasmKernel } from '../kernel.js';
import { conv2dGemmParams, dwconvParams } from '../params.generated.js';
import { prepareWinograd, winogradApplies, winogradPays, winogradScratch, winogradShape } from './winograd.js';
import { winogradExtraWeightBytes } from '../../../cost/winograd.js';

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

/**
 * im2col's cost per element, in the micro-kernel's multiply-adds, for choosing how threads
 * split a conv: one thread's time against output channels (4 to 64) of 1x1, 3x3 and 5x5
 * convs on 14x14 and 7x7 outputs, the intercept over the slope, measured 22-33.
 */
const IM2COL_COST = 25;
/** The largest image im2col (K x P floats, at most SHARED_TILES tiles) the threads build together and share. */
const SHARED_COL_BYTES = 4 << 20;
const SHARED_TILES = 8;

/** One thread's share of a GEMM conv: pixels [p0, p1), blocks of 4 output channels [mb0, mb1) per group. */
interface GemmShare { p0: number; p1: number; mb0: number; mb1: number }

/**
 * How a GEMM conv runs on `threads` threads: they split the pixels (in groups of 8, the
 * micro-kernel's width), each building the im2col tiles of its own; or the blocks of output
 * channels, over the image's im2col tiles that all of them build first, each its share of
 * the input channels (`shared`: two parallel steps, and no thread repeats another's im2col).
 * Whichever costs the slowest thread less, counting im2col as IM2COL_COST multiply-adds an
 * element. Splitting pixels wins where they share out evenly (>= 28x28 outputs); 14x14 and
 * 7x7 (4 and 1 tiles of 64) mostly split channels.
 */
function gemmPlan(s: ConvShape, threads: number): { shared: boolean; shares: GemmShare[] } {
  const P = s.OH * s.OW;
  const units = Math.ceil(P / NR);
  const byPixels = Array.from({ length: threads }, (_, t) => {
    const [u0, u1] = share(units, threads, t);
    return { p0: Math.min(P, u0 * NR), p1: Math.min(P, u1 * NR), mb0: 0, mb1: s.MBg };
  });
  // Images of more than SHARED_TILES tiles split their pixels within a few percent; their
  // own tiles, built just before use, stay in cache where the image's would not.
  if (threads === 1 || s.groups > 1 || P > SHARED_TILES * TILE || imageColBytes(s) > SHARED_COL_BYTES) return { shared: false, shares: byPixels };
  const byBlocks = Array.from({ length: threads }, (_, t) => {
    const [mb0, mb1] = share(s.MBg, threads, t);
    return { p0: 0, p1: P, mb0, mb1 };
  });
  const cost = (x: GemmShare, im2col: number) => (Math.ceil((x.p1 - x.p0) / NR) * NR * (x.mb1 - x.mb0) * MR + im2col * IM2COL_COST) * s.K;
  const pixelCost = Math.max(...byPixels.map((x) => cost(x, x.p1 - x.p0)));
  const blockCost = Math.max(...byBlocks.map((x) => cost(x, P / threads)));
  return blockCost < pixelCost ? { shared: true, shares: byBlocks } : { shared: false, shares: byPixels };
}

/** Whether a GEMM conv's threads split its output channels over the image's im2col, built once and shared (gemmPlan). */
export const sharesIm2col = (node: NodeOf<'conv2d'>, graph: Graph, threads: number): boolean => gemmPlan(convShape(node, graph), threads).shared;

/** Bytes of the image's im2col tiles: K x TILE floats each. */
const imageColBytes = (s: ConvShape) => Math.ceil((s.OH * s.OW) / TILE) * s.K * TILE * 4;

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
  const { K, Mg, MBg } = s;
  for (let g = 0; g < s.groups; g++) {
    for (let mb = 0; mb < MBg; mb++) {
      const base = (g * MBg + mb) * K * MR;
      const src = (g * Mg + mb * MR) * K;
      if (mb * MR + MR <= Mg) {
        // A whole block: the 4 channels' rows read side by side, `out` written in order
        // (cold start: ResNet-50's 2048x512 layer 11 -> 4 ms, alternated, min of 8).
        const s1 = src + K, s2 = s1 + K, s3 = s2 + K;
        for (let k = 0, o = base; k < K; k++, o += MR) {
          out[o] = w[src + k];
          out[o + 1] = w[s1 + k];
          out[o + 2] = w[s2 + k];
          out[o + 3] = w[s3 + k];
        }
      } else {
        for (let r = 0; mb * MR + r < Mg; r++) for (let k = 0; k < K; k++) out[base + k * MR + r] = w[src + r * K + k];
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
  scratchBytes(node, graph, threads) {
    const s = convShape(node, graph);
    if (isDepthwise(node, graph)) {
      const [t, l, b, r] = node.attrs.pads;
      return (s.H + t + b) * (s.W + l + r) * 4 + 64;
    }
    // Winograd's where it may run (compile options decide: then some may be unused).
    const g = gemmScratch(s);
    const gemm = gemmPlan(s, threads).shared ? imageColBytes(s) + g.block + g.acc : g.total;
    return Math.max(gemm, winogradApplies(node, graph) ? winogradScratch(winogradShape(node, graph)).total : 0);
  },
  extraWeightBytes(node, graph, winograd) {
    if (isDepthwise(node, graph) || !(winograd === 'all' ? winogradApplies(node, graph) : winograd && runsWinograd(node, graph))) return 0;
    return winogradExtraWeightBytes(node, graph);
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
        c0, c1, mult: 0, xs: 0, xlo: 0, ys: 0,
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
  const packed = constant ? ctx.uploadPacked(packedLength, (into) => packConvWeights(ctx.weight(w), s, into)) : ctx.alloc(packedLength * 4);
  const wPtr = constant ? 0 : ctx.ptr(w);
  const bias = b ? ctx.ptr(b) : 0;
  const [N] = graph.shape(x);
  const inImage = s.C * s.H * s.W * 4;
  const outImage = s.M * s.OH * s.OW * 4;
  const plan = gemmPlan(s, ctx.threads);
  // Per thread's scratch: its im2col tile (thread 0's holds the image's tiles when shared),
  // the block the micro-kernel hands back, the chunk accumulators.
  const scratch = gemmScratch(s);
  const colBytes = plan.shared ? imageColBytes(s) : scratch.col;
  const blocks = (im2col: boolean) => Array.from({ length: N }, (_, n) =>
    plan.shares.map((sh, t) => ctx.params(conv2dGemmParams({
      x: ctx.ptr(x) + n * inImage, w: packed, bias, res: r ? ctx.ptr(r) + n * outImage : 0, y: ctx.ptr(node.outputs[0]) + n * outImage,
      col: ctx.scratchOf(t), c: s.C, h: s.H, wd: s.W, m: s.M, oh: s.OH, ow: s.OW, groups: s.groups, kh: s.KH, kw: s.KW,
      sh: a.stride[0], sw: a.stride[1], pt: a.pads[0], pl: a.pads[1], dh: a.dilation[0], dw: a.dilation[1], ...activationParams(node),
      nt: TILE, block: ctx.scratchOf(t) + colBytes, p0: sh.p0, p1: sh.p1, mb0: sh.mb0, mb1: sh.mb1, kc: KC, acc: ctx.scratchOf(t) + colBytes + scratch.block,
      b: plan.shared ? ctx.scratchOf(0) : 0, c0: im2col ? share(s.C, ctx.threads, t)[0] : 0, c1: im2col ? share(s.C, ctx.threads, t)[1] : 0,
    }))),
  );
  const gemm = blocks(false);
  const im2col = plan.shared ? blocks(true) : undefined;
  return () => {
    if (!constant) {
      const mem = ctx.f32();
      packConvWeights(mem.subarray(wPtr / 4, wPtr / 4 + s.M * s.K), s, mem.subarray(packed / 4, packed / 4 + packedLength));
    }
    for (let n = 0; n < N; n++) {
      if (im2col) ctx.parallel('x32_im2col__wasm', im2col[n]);
      ctx.parallel('f32_conv2d_gemm_4x8__wasmsimd', gemm[n]);
    }
  };
}

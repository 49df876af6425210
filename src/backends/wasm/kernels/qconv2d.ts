import type { Graph } from '../../../graph/graph.js';
import type { NodeOf } from '../../../ops/attrs.js';
import { QDQ_RANGE } from '../../../ops/activation.js';
import { qconvBounds, qconvChannels, qconvDepthwise } from '../../../ops/qconv2d.js';
import { ACTIVATION_CODES } from '../../params.js';
import type { KernelContext, Step, WasmKernel } from '../kernel.js';
import { dwconvParams, qconv2dGemmParams, qconv2dWinogradParams, qfcParams } from '../params.generated.js';
import { share } from './conv2d.js';

/** Output channels per micro-kernel block and its pixels (qu8_conv2d_gemm_4x8c2__wasmsimd, assembly/qconv.ts); pixels per im2col tile. */
const MR = 4;
const NR = 8;
const TILE = 64;

interface QconvShape {
  C: number; H: number; W: number; M: number; OH: number; OW: number;
  groups: number; K: number; K2: number; Mg: number; MBg: number;
}

function qconvShape(node: NodeOf<'qconv2d'>, graph: Graph): QconvShape {
  const [, C, H, W] = graph.shape(node.inputs[0]);
  const [M, Cg, KH, KW] = graph.shape(node.inputs[1]);
  const [, , OH, OW] = graph.shape(node.outputs[0]);
  const { groups } = node.attrs;
  const Mg = M / groups;
  const K = Cg * KH * KW;
  return { C, H, W, M, OH, OW, groups, K, K2: (K + 1) >> 1, Mg, MBg: Math.ceil(Mg / MR) };
}

const align16 = (n: number) => Math.ceil(n / 16) * 16;

/** A 1x1 stride-1 unpadded conv of one group: its GEMM reads the image quantized in pairs of channels, no im2col. */
const pairsLayout = (node: NodeOf<'qconv2d'>) => {
  const a = node.attrs;
  return a.groups === 1 && a.kernel.every((k) => k === 1) && a.stride.every((v) => v === 1) && a.pads.every((v) => v === 0);
};

/** One thread's scratch: the quantized image (thread 0's is the one used; in pairs, 16 bytes to spare for the last vector's reads), its im2col tile, the micro-kernel's block and a partial row (160 bytes). */
function scratch(s: QconvShape): { img: number; col: number; total: number } {
  const img = align16(Math.ceil(s.C / 2) * 2 * s.H * s.W + 16);
  const col = align16(s.K2 * TILE * 2);
  return { img, col, total: img + col + 160 };
}

/**
 * Packs integer weights [M, Cg, KH, KW] (as floats) for the 4x8c2 micro-kernel: per group,
 * per block of 4 output channels, per pair of k, the 4 channels' (w[2kk], w[2kk + 1]) as
 * int16 (missing channels and an odd K's last k zero).
 */
export function packQconvWeights(w: Float32Array, s: QconvShape, out: Int16Array): void {
  const { K, K2, Mg, MBg } = s;
  for (let g = 0; g < s.groups; g++) {
    for (let mb = 0; mb < MBg; mb++) {
      const base = (g * MBg + mb) * K2 * 8;
      for (let r = 0; r < MR && mb * MR + r < Mg; r++) {
        const src = (g * Mg + mb * MR + r) * K;
        for (let k = 0; k < K; k++) out[base + (k >> 1) * 8 + r * 2 + (k & 1)] = w[src + k];
      }
    }
  }
}

/**
 * Whether a qconv2d is a quantized fc (the int8 pass makes a Gemm a 1x1 qconv2d on a 1x1
 * image): qu8_fc__wasmsimd, the weights a byte each.
 */
export function qconvFc(node: NodeOf<'qconv2d'>, graph: Graph): boolean {
  const [, , H, W] = graph.shape(node.inputs[0]);
  const a = node.attrs;
  return H === 1 && W === 1 && a.groups === 1 && a.kernel.every((k) => k === 1) && a.pads.every((v) => v === 0);
}

/** The fc kernel's weight rows (output channels in blocks of 4) and their length (k in steps of 16). */
const fcPadded = (s: QconvShape) => ({ M4: Math.ceil(s.M / 4) * 4, Kp: Math.ceil(s.C / 16) * 16 });

/** 3x3 stride-1 convs of one group run by Winograd on integers (F(4x4, 3x3) where exact, else F(2x2, 3x3)), unless compiled with `winograd: false`. */
export function qconvWinograd(node: NodeOf<'qconv2d'>, graph: Graph, winograd: boolean | 'all'): boolean {
  const a = node.attrs;
  return winograd !== false && a.groups === 1 && a.kernel[0] === 3 && a.kernel[1] === 3 && a.stride.every((v) => v === 1) &&
    a.dilation.every((v) => v === 1) && graph.shape(node.inputs[0])[1] >= 4;
}

/**
 * The two integer Winograd kernels: F(2x2, 3x3) (16 positions a tile) and F(4x4, 3x3) (36),
 * with the bytes each needs after the products of a block (4 channels by 8 tiles, 128 bytes a
 * position): its outputs, and F(4x4)'s transforms.
 */
const WINOGRAD = {
  2: { positions: 16, extra: 64, kernel: 'qu8_conv2d_winograd_2x2__wasmsimd' },
  4: { positions: 36, extra: 256 + 384 + 2304, kernel: 'qu8_conv2d_winograd_4x4__wasmsimd' },
} as const;
type WinogradTile = keyof typeof WINOGRAD;

/** Tiles per Winograd block: as many (a multiple of 8, 8 to 64) as keep the block's transformed input within 256 KiB. */
const winogradTiles = (s: QconvShape, m: WinogradTile) => Math.max(8, Math.min(64, Math.floor((256 << 10) / (WINOGRAD[m].positions * Math.ceil(s.C / 2) * 4)) & ~7));

/**
 * The bytes of one channel of the quantized image as the Winograd kernel reads it: F(2x2) the
 * image itself; F(4x4) bordered with the zero point to (4 TH + 2) x (4 TW + 2), TH x TW the
 * output's tiles, so that every tile's 6x6 patch lies inside (qu8_quantize__wasmsimd, mode 2);
 * F(4x4)'s vector transform reads up to 12 bytes past a row's last tile (16 to spare).
 */
const winogradPlane = (s: QconvShape, m: WinogradTile) => (m === 4 ? (Math.ceil(s.OH / 4) * 4 + 2) * (Math.ceil(s.OW / 4) * 4 + 2) : s.H * s.W);

/** One thread's Winograd scratch: the quantized image (thread 0's), the block's transformed input, its products and the rest (WINOGRAD). */
function winogradScratch(s: QconvShape, m: WinogradTile): { img: number; v: number; total: number } {
  const { positions, extra } = WINOGRAD[m];
  const img = align16(s.C * winogradPlane(s, m) + 16);
  const v = positions * (Math.ceil(s.C / 2) * winogradTiles(s, m) * 4 + 64);
  return { img, v, total: img + v + positions * 128 + extra };
}

/**
 * Whether F(4x4, 3x3) executes fewer products than F(2x2, 3x3) on this output: 36 a 4x4 tile
 * against 16 a 2x2 tile, each kernel's tiles in blocks of 8 (a small output's last tiles and
 * block are mostly padding: 6x5 outputs take 4 tiles of F(4x4), 288 products a channel pair
 * and output channel, against 9 of F(2x2), 256).
 */
function winograd4x4Pays(s: QconvShape): boolean {
  const blocks = (m: number) => Math.ceil((Math.ceil(s.OH / m) * Math.ceil(s.OW / m)) / NR) * NR;
  return 36 * blocks(4) < 16 * blocks(2);
}

/** The Winograd kernel of a conv: F(4x4) where its sums are exact for these weights and its tiles waste less than F(2x2)'s. */
const winogradTileOf = (s: QconvShape, weights: Float32Array): WinogradTile => (winograd4x4Pays(s) && winograd4x4Exact(weights, s.M) ? 4 : 2);

/**
 * The multiply-adds the int8 kernels execute, and their MAC counters count, for a qconv2d on
 * `threads` threads: blocks of 4 output channels by 8 pixels (direct) or 8 tiles of (m + 2)^2
 * positions (Winograd F(m x m, 3x3)) by channel pairs, each thread's last block padded.
 * The benchmark's "executed" MACs of qconv2d layers.
 */
export function qconvExecutedMacs(node: NodeOf<'qconv2d'>, graph: Graph, threads: number, winograd: boolean | 'all' = true): number {
  const s = qconvShape(node, graph);
  const [N] = graph.shape(node.inputs[0]);
  const blocks = (count: number) => {
    let b = 0;
    for (let t = 0; t < threads; t++) {
      const [a, e] = share(count, threads, t, NR);
      b += Math.ceil((e - a) / NR);
    }
    return b;
  };
  // The depthwise kernel's counter counts each window's taps, as the cost model does.
  if (qconvDepthwise(node, graph)) return N * s.M * s.OH * s.OW * s.K;
  // The fc kernel: each thread's channels in blocks of 4, by k padded to 16.
  if (qconvFc(node, graph)) {
    let rows = 0;
    for (let t = 0; t < threads; t++) {
      const [a, e] = share(s.M, threads, t, 4);
      rows += Math.ceil((e - a) / 4) * 4;
    }
    return N * rows * fcPadded(s).Kp;
  }
  if (qconvWinograd(node, graph, winograd)) {
    const m = winogradTileOf(s, graph.weight(node.inputs[1]));
    const tiles = Math.ceil(s.OH / m) * Math.ceil(s.OW / m);
    return N * Math.ceil(s.M / MR) * blocks(tiles) * Math.ceil(s.C / 2) * 64 * WINOGRAD[m].positions;
  }
  return N * s.groups * s.MBg * blocks(s.OH * s.OW) * s.K2 * 64;
}

/**
 * Whether F(4x4, 3x3) is exact for these integer weights [M, C, 3, 3]: its output is exact
 * modulo 2^26 (assembly/qconv.ts), so every sum of bytes (0..255) times weights must stay
 * below 2^25 in magnitude: 255 times the larger of a channel's positive and negative weight
 * sums. Otherwise F(2x2), exact in int32 for any weights.
 */
export function winograd4x4Exact(w: Float32Array, M: number): boolean {
  const per = w.length / M;
  let most = 0;
  for (let m = 0; m < M; m++) {
    let pos = 0;
    let neg = 0;
    for (let k = m * per; k < (m + 1) * per; k++) {
      if (w[k] > 0) pos += w[k];
      else neg -= w[k];
    }
    most = Math.max(most, pos, neg);
  }
  return 255 * most < 2 ** 25;
}

/**
 * The transformed weights U' = G' g G'^T (G' = 2G of F(2x2, 3x3): integers) of [M, C, 3, 3]
 * integer weights, packed per position of the 4x4 tile as packQconvWeights packs a K = C
 * GEMM; and per output channel the sum over channels of U' at position (1, 1), the zero
 * point's share (assembly/qconv.ts).
 */
export function packQconvWinograd(w: Float32Array, s: QconvShape, out: Int16Array, m4 = false): Int32Array {
  const { C, M, MBg } = s;
  const C2 = Math.ceil(C / 2);
  // F(2x2): G' = 2G. F(4x4): G' = diag(4, 6, 6, 24, 24, 1) G (assembly/qconv.ts).
  const G = m4 ? [[1, 0, 0], [-1, -1, -1], [-1, 1, -1], [1, 2, 4], [1, -2, 4], [0, 0, 1]] : [[2, 0, 0], [1, 1, 1], [1, -1, 1], [0, 0, 2]];
  const n = G.length;
  const share = new Int32Array(M);
  const u = new Int32Array(n * n);
  for (let m = 0; m < M; m++) {
    for (let c = 0; c < C; c++) {
      const g = (m * C + c) * 9;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          let v = 0;
          for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) v += G[i][a] * w[g + a * 3 + b] * G[j][b];
          u[i * n + j] = v;
        }
      }
      // The zero point's share: F(2x2)'s sums hold z times U' at (1, 1); F(4x4)'s the weights' sum.
      if (m4) for (let k = g; k < g + 9; k++) share[m] += w[k];
      else share[m] += u[5];
      const mb = m >> 2;
      for (let xi = 0; xi < n * n; xi++) out[((xi * MBg + mb) * C2 + (c >> 1)) * 8 + (m & 3) * 2 + (c & 1)] = u[xi];
    }
  }
  return share;
}

/**
 * qconv2d: qu8_quantize__wasmsimd (the image to bytes, threads splitting its channels), then
 * qu8_conv2d_gemm_4x8c2__wasmsimd (threads splitting the output pixels, each building its own
 * im2col tiles); bias, requantization and ReLU / Clip in the epilogue.
 */
export const qconv2dKernel: WasmKernel<'qconv2d'> = {
  op: 'qconv2d',
  scratchBytes(node, graph) {
    const s = qconvShape(node, graph);
    if (qconvDepthwise(node, graph)) {
      const [t, l, b, r] = node.attrs.pads;
      return (s.H + t + b) * (s.W + l + r) * 4 + 64;
    }
    if (qconvFc(node, graph)) return fcPadded(s).Kp * 2;
    return Math.max(scratch(s).total, qconvWinograd(node, graph, true) ? Math.max(winogradScratch(s, 2).total, winogradScratch(s, 4).total) : 0);
  },
  prepare(node, ctx) {
    const { graph } = ctx;
    const s = qconvShape(node, graph);
    const a = node.attrs;
    const [x, w, wScale, b] = node.inputs;
    const packedBytes = s.groups * s.MBg * s.K2 * 16;
    const weights = ctx.weight(w);
    // The zero point of x's bytes: sum (u - z) w = sum u w - z sum w, the second term folded into the bias.
    const xlo = QDQ_RANGE[a.xType][0] - a.xZeroPoint;
    const { bias, multiplier } = qconvChannels(a, graph.weight(wScale), b ? graph.weight(b) : undefined);
    if (qconvDepthwise(node, graph)) return prepareDepthwise(node, ctx, s, weights, bias, multiplier, xlo);
    if (qconvFc(node, graph)) return prepareFc(node, ctx, s, weights, bias, multiplier, xlo);
    if (qconvWinograd(node, graph, ctx.winograd)) return prepareWinograd(node, ctx, s, weights, bias, multiplier, xlo);
    const packed = ctx.uploadPacked(packedBytes / 4, (into) => packQconvWeights(weights, s, new Int16Array(into.buffer, into.byteOffset, packedBytes / 2)));
    // The zero point's share is z times each channel's sum of weights.
    const sums = new Int32Array(s.M);
    for (let m = 0; m < s.M; m++) for (let k = m * s.K; k < (m + 1) * s.K; k++) sums[m] += weights[k];
    const { biasPtr, multPtr } = uploadChannels(ctx, bias, sums, xlo, multiplier);
    const [ylo, yhi] = qconvBounds(a);
    const [N] = graph.shape(x);
    const inImage = s.C * s.H * s.W * 4;
    const outImage = s.M * s.OH * s.OW * 4;
    const P = s.OH * s.OW;
    const sc = scratch(s);
    const img = ctx.scratchOf(0);
    const pairs = pairsLayout(node);
    const blocks = Array.from({ length: N }, (_, n) => Array.from({ length: ctx.threads }, (_, t) => {
      const [p0, p1] = share(P, ctx.threads, t, NR);
      const [c0, c1] = share(s.C, ctx.threads, t, pairs ? 2 : 1);
      return ctx.params(qconv2dGemmParams({
        x: ctx.ptr(x) + n * inImage, w: packed, bias: biasPtr, mult: multPtr, y: ctx.ptr(node.outputs[0]) + n * outImage,
        img, col: ctx.scratchOf(t) + sc.img, block: ctx.scratchOf(t) + sc.img + sc.col,
        c: s.C, h: s.H, wd: s.W, m: s.M, oh: s.OH, ow: s.OW, groups: s.groups, kh: a.kernel[0], kw: a.kernel[1],
        sh: a.stride[0], sw: a.stride[1], pt: a.pads[0], pl: a.pads[1], dh: a.dilation[0], dw: a.dilation[1],
        xs: a.xScale, xlo, ys: a.yScale, ylo, yhi, nt: TILE, p0, p1, c0, c1, pairs: pairs ? 1 : 0,
      }));
    }));
    return () => {
      for (const image of blocks) {
        ctx.parallel('qu8_quantize__wasmsimd', image);
        ctx.parallel('qu8_conv2d_gemm_4x8c2__wasmsimd', image);
      }
    };
  },
};

/**
 * The kernels' per-channel values, uploaded (MR entries to spare for a last partial block):
 * int32 bias[m] - z * share[m] (z = -xlo, the zero point's byte; share: what the kernel's
 * sums hold of each zero-point byte), and the requantization multipliers.
 */
function uploadChannels(ctx: KernelContext, bias: Int32Array, share: Int32Array, xlo: number, multiplier: Float32Array): { biasPtr: number; multPtr: number } {
  const M = bias.length;
  const biasPtr = ctx.uploadPacked(M + MR, (into) => {
    const out = new Int32Array(into.buffer, into.byteOffset, M + MR);
    for (let m = 0; m < M; m++) out[m] = bias[m] + xlo * share[m];
  });
  const multPtr = ctx.uploadPacked(M + MR, (into) => into.set(multiplier));
  return { biasPtr, multPtr };
}

/** A depthwise qconv2d on f32_dwconv2d__wasmsimd's int8 path (threads split the channels, each padding its planes in its own scratch). */
function prepareDepthwise(
  node: NodeOf<'qconv2d'>, ctx: KernelContext, s: QconvShape, weights: Float32Array, bias: Int32Array, multiplier: Float32Array, xlo: number,
): Step {
  const { graph } = ctx;
  const a = node.attrs;
  const x = node.inputs[0];
  const [N] = graph.shape(x);
  const [KH, KW] = a.kernel;
  const w = ctx.uploadPacked(weights.length, (into) => into.set(weights));
  const biasPtr = ctx.uploadPacked(s.M, (into) => into.set(bias));
  const multPtr = ctx.uploadPacked(s.M, (into) => into.set(multiplier));
  const [ylo, yhi] = qconvBounds(a);
  const inImage = s.C * s.H * s.W * 4;
  const outImage = s.M * s.OH * s.OW * 4;
  const images = Array.from({ length: N }, (_, n) => Array.from({ length: ctx.threads }, (_, t) => {
    const [c0, c1] = share(s.C, ctx.threads, t);
    return ctx.params(dwconvParams({
      x: ctx.ptr(x) + n * inImage, w, bias: biasPtr, res: 0, y: ctx.ptr(node.outputs[0]) + n * outImage, pad: ctx.scratchOf(t),
      c: s.C, h: s.H, wd: s.W, m: s.M, oh: s.OH, ow: s.OW, kh: KH, kw: KW, sh: a.stride[0], sw: a.stride[1],
      pt: a.pads[0], pl: a.pads[1], pb: a.pads[2], pr: a.pads[3], dh: a.dilation[0], dw: a.dilation[1],
      act: ACTIVATION_CODES.none, a0: ylo, a1: yhi, c0, c1, mult: multPtr, xs: a.xScale, xlo, ys: a.yScale,
    }));
  }));
  return () => {
    for (const blocks of images) ctx.parallel('f32_dwconv2d__wasmsimd', blocks);
  };
}

/** A quantized fc on qu8_fc__wasmsimd (threads split the output channels, in blocks of 4). */
function prepareFc(
  node: NodeOf<'qconv2d'>, ctx: KernelContext, s: QconvShape, weights: Float32Array, bias: Int32Array, multiplier: Float32Array, xlo: number,
): Step {
  const a = node.attrs;
  const [N] = ctx.graph.shape(node.inputs[0]);
  const { M4, Kp } = fcPadded(s);
  // Rows of Kp bytes, the rows past M and the bytes past K zero.
  const w = ctx.uploadPacked((M4 * Kp) / 4, (into) => {
    const out = new Int8Array(into.buffer, into.byteOffset, M4 * Kp);
    out.fill(0);
    for (let m = 0; m < s.M; m++) for (let k = 0; k < s.C; k++) out[m * Kp + k] = weights[m * s.C + k];
  });
  // x enters less its zero point: the bias needs no correction.
  const biasPtr = ctx.uploadPacked(M4, (into) => new Int32Array(into.buffer, into.byteOffset, M4).fill(0).set(bias));
  const multPtr = ctx.uploadPacked(M4, (into) => into.fill(0).set(multiplier));
  const [ylo, yhi] = qconvBounds(a);
  const calls = Array.from({ length: ctx.threads }, (_, t) => {
    const [m0, m1] = share(s.M, ctx.threads, t, 4);
    return ctx.params(qfcParams({
      x: ctx.ptr(node.inputs[0]), w, bias: biasPtr, mult: multPtr, y: ctx.ptr(node.outputs[0]), xq: ctx.scratchOf(t),
      k: s.C, kp: Kp, m: s.M, n: N, xs: a.xScale, xlo, ys: a.yScale, ylo, yhi, m0, m1,
    }));
  });
  return () => ctx.parallel('qu8_fc__wasmsimd', calls);
}

function prepareWinograd(
  node: NodeOf<'qconv2d'>, ctx: KernelContext, s: QconvShape, weights: Float32Array, bias: Int32Array, multiplier: Float32Array, xlo: number,
): Step {
  const { graph } = ctx;
  const a = node.attrs;
  const x = node.inputs[0];
  const m = winogradTileOf(s, weights);
  const { positions, kernel } = WINOGRAD[m];
  const packedBytes = positions * s.MBg * Math.ceil(s.C / 2) * 16;
  let zeroShare: Int32Array = new Int32Array(0);
  const packed = ctx.uploadPacked(packedBytes / 4, (into) => {
    zeroShare = packQconvWinograd(weights, s, new Int16Array(into.buffer, into.byteOffset, packedBytes / 2), m === 4);
  });
  // The sums hold z times each channel's share (z = -xlo, the zero point's byte): folded into the bias.
  const { biasPtr, multPtr } = uploadChannels(ctx, bias, zeroShare, xlo, multiplier);
  const [ylo, yhi] = qconvBounds(a);
  const [N] = graph.shape(x);
  const inImage = s.C * s.H * s.W * 4;
  const outImage = s.M * s.OH * s.OW * 4;
  const tiles = Math.ceil(s.OH / m) * Math.ceil(s.OW / m);
  const sc = winogradScratch(s, m);
  const img = ctx.scratchOf(0);
  const blocks = Array.from({ length: N }, (_, n) => Array.from({ length: ctx.threads }, (_, t) => {
    const [t0, t1] = share(tiles, ctx.threads, t, NR);
    const [c0, c1] = share(s.C, ctx.threads, t);
    const quantize = ctx.params(qconv2dGemmParams({
      x: ctx.ptr(x) + n * inImage, w: 0, bias: 0, mult: 0, y: 0, img, col: 0, block: 0,
      c: s.C, h: s.H, wd: s.W, m: s.M, oh: s.OH, ow: s.OW, groups: 1, kh: 3, kw: 3, sh: 1, sw: 1, pt: a.pads[0], pl: a.pads[1], dh: 1, dw: 1,
      xs: a.xScale, xlo, ys: 0, ylo: 0, yhi: 0, nt: 0, p0: 0, p1: 0, c0, c1, pairs: m === 4 ? 2 : 0,
    }));
    const conv = ctx.params(qconv2dWinogradParams({
      img, w: packed, bias: biasPtr, mult: multPtr, y: ctx.ptr(node.outputs[0]) + n * outImage,
      v: ctx.scratchOf(t) + sc.img, mbuf: ctx.scratchOf(t) + sc.img + sc.v,
      c: s.C, h: s.H, wd: s.W, m: s.M, oh: s.OH, ow: s.OW, pt: a.pads[0], pl: a.pads[1],
      xlo, ys: a.yScale, ylo, yhi, nt: winogradTiles(s, m), t0, t1,
    }));
    return [quantize, conv];
  }));
  return () => {
    for (const image of blocks) {
      ctx.parallel('qu8_quantize__wasmsimd', image.map(([q]) => q));
      ctx.parallel(kernel, image.map(([, c]) => c));
    }
  };
}

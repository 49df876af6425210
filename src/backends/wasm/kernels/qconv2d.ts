import type { Graph } from '../../../graph/graph.js';
import type { NodeOf } from '../../../ops/attrs.js';
import { QDQ_RANGE } from '../../../ops/activation.js';
import { qconvBounds, qconvChannels } from '../../../ops/qconv2d.js';
import type { WasmKernel } from '../kernel.js';
import { qconv2dGemmParams } from '../params.generated.js';
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

/** One thread's scratch: the quantized image (thread 0's is the one used), its im2col tile, a block of 32 floats. */
function scratch(s: QconvShape): { img: number; col: number; total: number } {
  const img = align16(s.C * s.H * s.W);
  const col = align16(s.K2 * TILE * 2);
  return { img, col, total: img + col + 128 };
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
 * qconv2d: qu8_quantize__wasmsimd (the image to bytes, threads splitting its channels), then
 * qu8_conv2d_gemm_4x8c2__wasmsimd (threads splitting the output pixels, each building its own
 * im2col tiles); bias, requantization and ReLU / Clip in the epilogue.
 */
export const qconv2dKernel: WasmKernel<'qconv2d'> = {
  op: 'qconv2d',
  scratchBytes(node, graph) {
    return scratch(qconvShape(node, graph)).total;
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
    const perChannel = new Int32Array(s.M + MR);
    for (let m = 0; m < s.M; m++) {
      let sum = 0;
      for (let k = m * s.K; k < (m + 1) * s.K; k++) sum += weights[k];
      perChannel[m] = bias[m] + xlo * sum; // z = -xlo
    }
    const packed = ctx.uploadPacked(packedBytes / 4, (into) => packQconvWeights(weights, s, new Int16Array(into.buffer, into.byteOffset, packedBytes / 2)));
    const biasPtr = ctx.uploadPacked(s.M + MR, (into) => new Int32Array(into.buffer, into.byteOffset, s.M + MR).set(perChannel));
    const multPtr = ctx.uploadPacked(s.M + MR, (into) => into.set(multiplier));
    const [ylo, yhi] = qconvBounds(a);
    const [N] = graph.shape(x);
    const inImage = s.C * s.H * s.W * 4;
    const outImage = s.M * s.OH * s.OW * 4;
    const P = s.OH * s.OW;
    const sc = scratch(s);
    const img = ctx.scratchOf(0);
    const blocks = Array.from({ length: N }, (_, n) => Array.from({ length: ctx.threads }, (_, t) => {
      const [p0, p1] = share(P, ctx.threads, t, NR);
      const [c0, c1] = share(s.C, ctx.threads, t);
      return ctx.params(qconv2dGemmParams({
        x: ctx.ptr(x) + n * inImage, w: packed, bias: biasPtr, mult: multPtr, y: ctx.ptr(node.outputs[0]) + n * outImage,
        img, col: ctx.scratchOf(t) + sc.img, block: ctx.scratchOf(t) + sc.img + sc.col,
        c: s.C, h: s.H, wd: s.W, m: s.M, oh: s.OH, ow: s.OW, groups: s.groups, kh: a.kernel[0], kw: a.kernel[1],
        sh: a.stride[0], sw: a.stride[1], pt: a.pads[0], pl: a.pads[1], dh: a.dilation[0], dw: a.dilation[1],
        xs: a.xScale, xlo, ys: a.yScale, ylo, yhi, nt: TILE, p0, p1, c0, c1,
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

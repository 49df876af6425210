import type { Graph } from '../../../graph/graph.js';
import type { NodeOf } from '../../../ops/attrs.js';
import type { KernelContext, Step } from '../kernel.js';
import { conv2dWinogradParams } from '../params.generated.js';
import { winogradComputes, winogradPays, winogradShapeOf, winogradTiles, type WinogradShape } from '../../../cost/winograd.js';

/**
 * The host side of f32_conv2d_winograd_4x8__wasmsimd (assembly/winograd.ts): 3x3 stride-1
 * convolutions (groups 1, dilation 1, any padding) by Winograd's F(4x4, 3x3). Weights are
 * transformed once at compile (U = G g G^T, in float64, rounded once) and packed as 36
 * matrices [M x C] in the 4x8 micro-kernel's A panels; tiles of 4x4 outputs are taken NB at a
 * time, NB sized so a block's transformed input and products (36 (C + M) NB floats) stay in
 * L2.
 */

/** Output channels per micro-kernel block, tiles per micro-kernel column panel (assembly/gemm-ukernel.ts). */
const MR = 4;
const NR = 8;
/** Positions of the transformed 6x6 tile. */
const XI = 36;
/**
 * Bytes of the kernel's `work` scratch: gather buffer and temporaries (12 rows of 6 v128), 16
 * for partial rows, a v128 per group of 4 tiles of a block (MAX_NB / 4) for the finiteness checks.
 */
const WORK = 12 * 6 * 16 + 16 + (64 / 4) * 16;
/**
 * Bytes a block's V and M may take together: half of the 1 MiB L2 of the machines measured
 * (AMD EPYC), leaving the rest to the streamed U panels and the output rows.
 */
const BLOCK_BUDGET = 512 * 1024;
const MAX_NB = 64;

/**
 * G of F(4x4, 3x3) with the points 0, 1, -1, 1/2, -1/2 and infinity (the Lagrange
 * denominators folded in here, where they are rounded once; assembly/winograd.ts holds B^T
 * and A^T and the derivation).
 */
const G: readonly (readonly number[])[] = [
  [1, 0, 0],
  [1 / 6, 1 / 6, 1 / 6],
  [1 / 6, -1 / 6, 1 / 6],
  [-4 / 3, -2 / 3, -1 / 3],
  [-4 / 3, 2 / 3, -1 / 3],
  [0, 0, 1 / 4],
];

/** Whether the kernel can run the node: F(4x4, 3x3) computes it (src/cost/winograd.ts) and its weights are constant (transformed at compile). */
export function winogradApplies(node: NodeOf<'conv2d'>, graph: Graph): boolean {
  return winogradComputes(node) && graph.initializers.has(node.inputs[1]);
}

export { winogradPays, winogradShapeOf as winogradShape, winogradTiles, type WinogradShape };

/** Tiles per block: a multiple of 8, as many as keep 36 (C + M) NB floats within BLOCK_BUDGET, at most the image's. */
export function winogradBlock(s: WinogradShape): number {
  const perTile = XI * (s.C + Math.ceil(s.M / MR) * MR) * 4;
  const fit = Math.max(NR, Math.min(MAX_NB, Math.floor(BLOCK_BUDGET / perTile / NR) * NR));
  return Math.min(fit, Math.ceil(winogradTiles(s).tiles / NR) * NR);
}

/** Bytes of one thread's scratch: V, M and the transforms' work area. */
export function winogradScratch(s: WinogradShape): { v: number; m: number; total: number } {
  const nb = winogradBlock(s);
  const v = XI * s.C * nb * 4;
  const m = XI * Math.ceil(s.M / MR) * MR * nb * 4;
  return { v, m, total: v + m + WORK };
}

/** Floats of the transformed weights: per xi, per block of 4 output channels, C rows of 4. */
export function winogradWeightsLength(C: number, M: number): number {
  return XI * Math.ceil(M / MR) * C * MR;
}

/**
 * U = G g G^T of [M, C, 3, 3] weights, per position xi = 6i + k of the 6x6, packed for the 4x8
 * micro-kernel into `out` (zeroed, {@link winogradWeightsLength} floats): per xi, per block of
 * 4 output channels, C rows of 4 floats (missing channels zero). Computed in float64, rounded
 * once to float32.
 *
 * Cold start: G applied by its structure (rows g0, (g0+g1+g2)/6, (g0-g1+g2)/6,
 * -(4g0+2g1+g2)/3, -(4g0-2g1+g2)/3, g2/4: 10 operations a column instead of 18 multiply-adds),
 * a block of 4 output channels at a time into a small float64 buffer, each channel's 36
 * positions side by side, then written out position by position, each panel row after row.
 * Against the matrix form writing each value straight to its place (36 planes up to 1 MiB
 * apart), alternated in one process, min of 8: ResNet-50's 512x512 layer 63 -> 43 ms. Values
 * agree with the matrix form to 1 float32 ulp (0.5% of them differ by one).
 */
export function transformWinogradWeights(w: Float32Array<ArrayBufferLike>, C: number, M: number, out: Float32Array<ArrayBufferLike> = new Float32Array(winogradWeightsLength(C, M))): Float32Array<ArrayBufferLike> {
  const MB = Math.ceil(M / MR);
  const plane = MB * C * MR;
  const rows = C * MR;
  const u = new Float64Array(rows * XI);
  const S = 1 / 6, T = 2 / 3, F = 4 / 3;
  for (let mb = 0; mb < MB; mb++) {
    const live = Math.min(MR, M - mb * MR);
    if (live < MR) u.fill(0);
    for (let c = 0; c < C; c++) {
      for (let r = 0; r < live; r++) {
        const g = ((mb * MR + r) * C + c) * 9;
        const at = (c * MR + r) * XI;
        // t = G g (6 x 3) into u[at + 6i + j], then each row i of t becomes row i of U = t G^T.
        for (let j = 0; j < 3; j++) {
          const a = w[g + j], b = w[g + 3 + j], d = w[g + 6 + j];
          const e = (a + d) * S, f = b * S, h = -(F * a + d / 3), q = T * b;
          u[at + j] = a; u[at + 6 + j] = e + f; u[at + 12 + j] = e - f; u[at + 18 + j] = h - q; u[at + 24 + j] = h + q; u[at + 30 + j] = d / 4;
        }
        for (let i = at; i < at + XI; i += 6) {
          const a = u[i], b = u[i + 1], d = u[i + 2];
          const e = (a + d) * S, f = b * S, h = -(F * a + d / 3), q = T * b;
          u[i] = a; u[i + 1] = e + f; u[i + 2] = e - f; u[i + 3] = h - q; u[i + 4] = h + q; u[i + 5] = d / 4;
        }
      }
    }
    for (let xi = 0; xi < XI; xi++) {
      const o = xi * plane + mb * rows;
      for (let j = 0; j < rows; j++) out[o + j] = u[j * XI + xi];
    }
  }
  return out;
}

/** Thread t's share [start, end) of `count` items split evenly over `threads`. */
function share(count: number, threads: number, t: number): [number, number] {
  return [Math.floor((t * count) / threads), Math.floor(((t + 1) * count) / threads)];
}

/**
 * Prepares a Winograd conv (the caller checked winogradApplies): weights transformed into
 * memory once; threads split the blocks of tiles when they share out evenly, else the blocks
 * of output channels (each then transforms the same input: measured cheaper than idling).
 * The epilogue fields (act, a0, a1) come from the caller, as the direct path reads them.
 */
export function prepareWinograd(node: NodeOf<'conv2d'>, ctx: KernelContext, epilogue: { act: number; a0: number; a1: number }): Step {
  const { graph } = ctx;
  const s = winogradShapeOf(node, graph);
  const [x, w, b, r] = node.inputs;
  const u = ctx.uploadPacked(winogradWeightsLength(s.C, s.M), (into) => transformWinogradWeights(ctx.weight(w), s.C, s.M, into));
  const [N] = graph.shape(x);
  const { TW, tiles } = winogradTiles(s);
  const nb = winogradBlock(s);
  const blocks = Math.ceil(tiles / nb);
  const MB = Math.ceil(s.M / MR);
  const scratch = winogradScratch(s);
  const inImage = s.C * s.H * s.W * 4;
  const outImage = s.M * s.OH * s.OW * 4;
  // Uneven block shares (a thread idles for a whole block) split channels instead.
  const byBlocks = ctx.threads === 1 || blocks >= 4 * ctx.threads || blocks % ctx.threads === 0;
  const images = Array.from({ length: N }, (_, n) =>
    Array.from({ length: ctx.threads }, (_, t) => {
      const [blk0, blk1] = byBlocks ? share(blocks, ctx.threads, t) : [0, blocks];
      const [mb0, mb1] = byBlocks ? [0, MB] : share(MB, ctx.threads, t);
      const base = ctx.scratchOf(t);
      return ctx.params(conv2dWinogradParams({
        x: ctx.ptr(x) + n * inImage, u, bias: b ? ctx.ptr(b) : 0, res: r ? ctx.ptr(r) + n * outImage : 0, y: ctx.ptr(node.outputs[0]) + n * outImage,
        v: base, mbuf: base + scratch.v, work: base + scratch.v + scratch.m,
        c: s.C, h: s.H, wd: s.W, m: s.M, oh: s.OH, ow: s.OW, tw: TW, pt: node.attrs.pads[0], pl: node.attrs.pads[1],
        ...epilogue, nb, blk0, blk1, mb0, mb1,
      }));
    }),
  );
  return () => {
    for (const params of images) ctx.parallel('f32_conv2d_winograd_4x8__wasmsimd', params);
  };
}

/** G of F(4x4, 3x3), for tests of {@link transformWinogradWeights} against the matrix form. */
export const WINOGRAD_G = G;

#!/usr/bin/env node
// The GEMM micro-kernels (assembly/gemm-ukernel.ts) against the kernels they replaced, in one
// process: conv2d, fc and gemm of the working tree's build (build/, from `npm run build`)
// beside those of a base revision compiled from git, each kernel called directly on its
// parameter block (one thread, no graph, no executor), the two alternated A, B, A, B for
// every round after warm-up. Reports per case the min and median time of each, their
// ratios (new / base: below 1 is faster; also the median of the rounds' paired ratios),
// GFLOP/s (2 x the MACs the cost model counts), the MACs each kernel counted, and the
// largest difference between their outputs.
//
//   node [--experimental-wasm-relaxed-simd] bench/gemm-ukernel.bench.mjs [--base REV]
//        [--rounds 11] [--relaxed] [--cases fc6-b1,conv-...] [--json bench/results/gemm-ukernel.json]
//
// --base: the revision to compare with; default the parent of the commit that added
// assembly/gemm-ukernel.ts (HEAD while that file is uncommitted). Its assembly/, kernels/common.wgsl
// and scripts/build-wasm.mjs are taken with `git archive` into a temporary folder and built
// there with its own build script (the same asc and flags). Parameter blocks are written by
// field name from each side's assembly/params.json, so either side's layout works.
import { parseArgs } from 'node:util';
import { git, instance, loadSides, runCases, seeded } from './kernel-ab.mjs';
import { packConvWeights } from '../dist/backends/wasm/kernels/conv2d.js';
import { packFcWeights, packedFcLength } from '../dist/backends/wasm/kernels/fc.js';

const { values } = parseArgs({
  options: {
    base: { type: 'string' },
    rounds: { type: 'string', default: '11' },
    relaxed: { type: 'boolean', default: false },
    cases: { type: 'string' },
    json: { type: 'string', default: 'bench/results/gemm-ukernel.json' },
  },
});
const rounds = Math.max(5, Number(values.rounds));
const flavor = values.relaxed ? 'relaxed' : 'simd';

// ---------------------------------------------------------------------------------------
// The two builds

function baseRevision() {
  if (values.base) return git('rev-parse', values.base);
  const added = git('log', '--diff-filter=A', '--format=%H', '--', 'assembly/gemm-ukernel.ts').split('\n').filter(Boolean).pop();
  return added ? git('rev-parse', `${added}~1`) : git('rev-parse', 'HEAD');
}

const baseRev = baseRevision();
const sides = loadSides(baseRev, flavor);

// ---------------------------------------------------------------------------------------
// Cases: each sets up one side and returns { run, output }

const ACT_RELU = 1;

function fcCase(N, K, M) {
  const x = seeded(N * K, 1), w = seeded(M * K, 2).map((v) => v * 0.05), b = seeded(M, 3);
  let packed;
  return {
    macs: N * K * M,
    async setup(side) {
      const m = await instance(side, (N * K + packedFcLength(M, K) + M + N * M) * 4 + 4096);
      const xp = m.upload(x), yp = m.alloc(N * M * 4), scratch = m.alloc(1024);
      let p;
      if (m.has('fc', 'panel0')) {
        packed ??= packFcWeights(w, b, M, K);
        p = m.params('fc', { x: xp, w: m.upload(packed), y: yp, n: N, k: K, m: M, act: ACT_RELU, panel0: 0, panel1: Math.ceil(M / 8), block: scratch });
      } else {
        p = m.params('fc', { x: xp, w: m.upload(w), bias: m.upload(b), y: yp, n: N, k: K, m: M, act: ACT_RELU, m0: 0, m1: M });
      }
      const f = m.fn('f32_fc_');
      return { m, run: () => f(p), output: () => m.f32().slice(yp / 4, yp / 4 + N * M) };
    },
  };
}

function convCase(C, H, W, M, k, stride, pad) {
  const OH = Math.floor((H + 2 * pad - k) / stride) + 1, OW = Math.floor((W + 2 * pad - k) / stride) + 1;
  const K = C * k * k, MBg = Math.ceil(M / 4), TILE = 64, KC = 512;
  const s = { C, H, W, M, OH, OW, groups: 1, KH: k, KW: k, K, Mg: M, MBg };
  const x = seeded(C * H * W, 4), w = seeded(M * K, 5).map((v) => v * 0.05), b = seeded(M, 6);
  const wp = packConvWeights(w, s);
  return {
    macs: M * OH * OW * K,
    async setup(side) {
      const col = K * TILE * 4, acc = K > KC ? MBg * 4 * TILE * 4 : 0;
      const m = await instance(side, (x.length + wp.length + M + M * OH * OW) * 4 + col + acc + 8192);
      const xp = m.upload(x), wpp = m.upload(wp), bp = m.upload(b), yp = m.alloc(M * OH * OW * 4);
      const scratch = m.alloc(col + 128 + acc);
      const p = m.params('conv2d_gemm', {
        x: xp, w: wpp, bias: bp, res: 0, y: yp, col: scratch, c: C, h: H, wd: W, m: M, oh: OH, ow: OW, groups: 1,
        kh: k, kw: k, sh: stride, sw: stride, pt: pad, pl: pad, dh: 1, dw: 1, act: ACT_RELU, nt: TILE,
        partial: scratch + col, block: scratch + col, tile0: 0, tile1: Math.ceil((OH * OW) / TILE), p0: 0, p1: OH * OW, mb0: 0, mb1: MBg, kc: KC, acc: scratch + col + 128,
      });
      const f = m.fn('f32_conv2d_gemm_');
      return { m, run: () => f(p), output: () => m.f32().slice(yp / 4, yp / 4 + M * OH * OW) };
    },
  };
}

function gemmCase(M, K, N, transB, cShape) {
  const a = seeded(M * K, 7), bm = seeded(K * N, 8), c = cShape ? seeded(cShape.reduce((p, q) => p * q, 1), 9) : undefined;
  // C's strides as broadcast to [M, N].
  const [cm, cn] = !cShape ? [0, 0] : cShape.length === 2 ? [cShape[0] === 1 ? 0 : cShape[1], cShape[1] === 1 ? 0 : 1] : [0, cShape[0] === 1 ? 0 : 1];
  return {
    macs: M * N * K,
    async setup(side) {
      const scratchBytes = Math.ceil(N / 8) * 8 * K * 4 + 128;
      const m = await instance(side, (a.length + bm.length + (c?.length ?? 0) + M * N) * 4 + scratchBytes + 4096);
      const ap = m.upload(a), bp = m.upload(bm), cp = c ? m.upload(c) : 0, yp = m.alloc(M * N * 4), scratch = m.alloc(scratchBytes);
      const p = m.params('gemm', {
        a: ap, b: bp, c: cp, y: yp, m: M, n: N, k: K, sam: K, sak: 1, trans_b: transB ? 1 : 0, bt: scratch, bp: scratch,
        cm, cn, alpha: 1, beta: 1, block: scratch + scratchBytes - 128,
      });
      const f = m.fn('f32_gemm_');
      return { m, run: () => f(p), output: () => m.f32().slice(yp / 4, yp / 4 + M * N) };
    },
  };
}

const CASES = {
  'fc6-b1 (VGG-16 fc6, 25088 -> 4096, batch 1)': () => fcCase(1, 25088, 4096),
  'fc6-b8 (25088 -> 4096, batch 8)': () => fcCase(8, 25088, 4096),
  'fc7-b1 (VGG-16 fc7, 4096 -> 4096, batch 1)': () => fcCase(1, 4096, 4096),
  'fc7-b8 (4096 -> 4096, batch 8)': () => fcCase(8, 4096, 4096),
  'fc7-b32 (4096 -> 4096, batch 32)': () => fcCase(32, 4096, 4096),
  'fc-r50-b1 (ResNet-50 fc, 2048 -> 1000, batch 1)': () => fcCase(1, 2048, 1000),
  'conv-r18-3x3-256 (ResNet-18 layer3, 256 -> 256, 14x14, K 2304)': () => convCase(256, 14, 14, 256, 3, 1, 1),
  'conv-r18-3x3-64 (ResNet-18 layer1, 64 -> 64, 56x56, K 576)': () => convCase(64, 56, 56, 64, 3, 1, 1),
  'conv-r50-1x1 (ResNet-50 layer1, 1x1 64 -> 256, 56x56, K 64)': () => convCase(64, 56, 56, 256, 1, 1, 0),
  'gemm-64 (64 x 64 x 64, C [64, 64])': () => gemmCase(64, 64, 64, false, [64, 64]),
  'gemm-1x512x1000 (C [1000])': () => gemmCase(1, 512, 1000, false, [1000]),
  'gemm-1x512x1000-transB (C [1000])': () => gemmCase(1, 512, 1000, true, [1000]),
};

await runCases({
  cases: CASES, sides, rounds, baseRev, flavor, json: values.json,
  wanted: values.cases?.split(','),
  what: 'GEMM micro-kernels (assembly/gemm-ukernel.ts) vs the kernels they replaced: conv2d, fc, gemm called directly, one thread',
});

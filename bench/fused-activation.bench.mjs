#!/usr/bin/env node
// The fused activations of the conv/fc epilogues (assembly/params.ts: conv2d's GEMM path
// keeps relu, clip, leakyrelu, hardsigmoid and hardswish in its epilogue and runs silu and
// gelu by activateRows over each stored tile; dwconv does so for its last 1-3 columns) against
// a base revision's kernels (default HEAD: every activation inlined in every epilogue), in one process: conv2d (3x3 and 1x1), depthwise conv2d and fc of the
// working tree's build (build/, from `npm run build`) beside those of a base revision
// compiled from git, each kernel called directly on its parameter block (one thread, no
// graph), alternated A, B, A, B for every round after warm-up; each with relu, none,
// hardswish and silu. Reports per case min and median of each, their ratios (new / base,
// below 1 is faster; also the median of the rounds' paired ratios) and the largest
// difference between their outputs (0: the same arithmetic).
//
//   node [--experimental-wasm-relaxed-simd] bench/fused-activation.bench.mjs [--base REV]
//        [--rounds 21] [--relaxed] [--cases 'conv3x3;dwconv5x5 (672 ch, 7x7) + silu'] [--json bench/results/fused-activation.json]
//
// --base: default HEAD. Built as bench/gemm-ukernel.bench.mjs builds its base: `git archive`
// of its assembly/, kernels/common.wgsl and scripts/build-wasm.mjs, its own build script.
import { parseArgs } from 'node:util';
import { git, instance, loadSides, runCases, seeded } from './kernel-ab.mjs';
import { packConvWeights } from '../dist/backends/wasm/kernels/conv2d.js';
import { packFcWeights, packedFcLength } from '../dist/backends/wasm/kernels/fc.js';
import { ACTIVATION_CODES } from '../dist/backends/params.js';

const { values } = parseArgs({
  options: {
    base: { type: 'string' },
    rounds: { type: 'string', default: '21' },
    relaxed: { type: 'boolean', default: false },
    cases: { type: 'string' },
    json: { type: 'string' },
  },
});
const rounds = Math.max(5, Number(values.rounds));
const flavor = values.relaxed ? 'relaxed' : 'simd';

// ---------------------------------------------------------------------------------------
// The two builds

function baseRevision() {
  return git('rev-parse', values.base ?? 'HEAD');
}

const baseRev = baseRevision();
const sides = loadSides(baseRev, flavor);

// ---------------------------------------------------------------------------------------
// Cases: each sets up one side and returns { run, output }

/** The four activations measured, with the a0, a1 the host writes (hardswish: 1/6, 1/2). */
const ACTS = { relu: [0, 0], none: [0, 0], hardswish: [1 / 6, 0.5], silu: [0, 0] };
const actParams = (act) => ({ act: ACTIVATION_CODES[act], a0: ACTS[act][0], a1: ACTS[act][1] });

function fcCase(N, K, M, act) {
  const x = seeded(N * K, 1), w = seeded(M * K, 2).map((v) => v * 0.05), b = seeded(M, 3);
  let packed;
  return {
    macs: N * K * M,
    async setup(side) {
      const m = await instance(side, (N * K + packedFcLength(M, K) + M + N * M) * 4 + 4096);
      const xp = m.upload(x), yp = m.alloc(N * M * 4), scratch = m.alloc(1024);
      packed ??= packFcWeights(w, b, M, K);
      const p = m.params('fc', { x: xp, w: m.upload(packed), y: yp, n: N, k: K, m: M, ...actParams(act), panel0: 0, panel1: Math.ceil(M / 8), block: scratch });
      const f = m.fn('f32_fc_');
      return { m, run: () => f(p), output: () => m.f32().slice(yp / 4, yp / 4 + N * M) };
    },
  };
}

function convCase(C, H, W, M, k, stride, pad, act) {
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
        kh: k, kw: k, sh: stride, sw: stride, pt: pad, pl: pad, dh: 1, dw: 1, ...actParams(act), nt: TILE,
        block: scratch + col, tile0: 0, tile1: Math.ceil((OH * OW) / TILE), p0: 0, p1: OH * OW, mb0: 0, mb1: MBg, kc: KC, acc: scratch + col + 128,
      });
      const f = m.fn('f32_conv2d_gemm_');
      return { m, run: () => f(p), output: () => m.f32().slice(yp / 4, yp / 4 + M * OH * OW) };
    },
  };
}

function dwCase(C, H, W, k, stride, act) {
  const pad = k >> 1;
  const OH = Math.floor((H + 2 * pad - k) / stride) + 1, OW = Math.floor((W + 2 * pad - k) / stride) + 1;
  const x = seeded(C * H * W, 7), w = seeded(C * k * k, 8).map((v) => v * 0.3), b = seeded(C, 9);
  return {
    macs: C * OH * OW * k * k,
    async setup(side) {
      const padBytes = (H + 2 * pad) * (W + 2 * pad) * 4 + 64;
      const m = await instance(side, (x.length + w.length + C + C * OH * OW) * 4 + padBytes + 8192);
      const xp = m.upload(x), wp = m.upload(w), bp = m.upload(b), yp = m.alloc(C * OH * OW * 4), scratch = m.alloc(padBytes);
      const p = m.params('dwconv', {
        x: xp, w: wp, bias: bp, res: 0, y: yp, pad: scratch, c: C, h: H, wd: W, m: C, oh: OH, ow: OW, kh: k, kw: k, sh: stride, sw: stride,
        pt: pad, pl: pad, pb: pad, pr: pad, dh: 1, dw: 1, ...actParams(act), c0: 0, c1: C,
      });
      const f = m.fn('f32_dwconv2d_');
      return { m, run: () => f(p), output: () => m.f32().slice(yp / 4, yp / 4 + C * OH * OW) };
    },
  };
}

// Shapes of MobileNetV3-Large and EfficientNet-B0 layers (the models whose activations these are).
const SHAPES = {
  'conv3x3 (64 -> 64, 28x28, K 576)': (act) => convCase(64, 28, 28, 64, 3, 1, 1, act),
  'conv1x1 (40 -> 240, 28x28, K 40)': (act) => convCase(40, 28, 28, 240, 1, 1, 0, act),
  'conv1x1 (160 -> 960, 7x7, K 160)': (act) => convCase(160, 7, 7, 960, 1, 1, 0, act),
  'dwconv3x3 (240 ch, 28x28)': (act) => dwCase(240, 28, 28, 3, 1, act),
  'dwconv5x5 (672 ch, 7x7)': (act) => dwCase(672, 7, 7, 5, 1, act),
  'dwconv3x3 s2 (72 ch, 56x56)': (act) => dwCase(72, 56, 56, 3, 2, act),
  'fc (960 -> 1280, batch 1)': (act) => fcCase(1, 960, 1280, act),
  'fc (960 -> 1280, batch 8)': (act) => fcCase(8, 960, 1280, act),
};
const CASES = Object.fromEntries(Object.entries(SHAPES).flatMap(([label, make]) => Object.keys(ACTS).map((act) => [`${label} + ${act}`, () => make(act)])));

await runCases({
  cases: CASES, sides, rounds, baseRev, flavor, json: values.json,
  wanted: values.cases?.split(';'),
  what: 'fused activations out of line (assembly/params.ts activateSimple + activateRows) vs inlined in every epilogue: conv2d, dwconv, fc called directly, one thread',
});

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
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
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
const ROOT = resolve(new URL('..', import.meta.url).pathname);
const git = (...args) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
const rounds = Math.max(5, Number(values.rounds));
const flavor = values.relaxed ? 'relaxed' : 'simd';

// ---------------------------------------------------------------------------------------
// The two builds

function baseRevision() {
  return git('rev-parse', values.base ?? 'HEAD');
}

/** Builds `rev`'s kernels with its own build script; returns its wasm bytes and parameter blocks. */
function buildBase(rev) {
  const dir = mkdtempSync(join(tmpdir(), 'webconv-base-'));
  try {
    const tar = execFileSync('git', ['archive', rev, 'assembly', 'kernels/common.wgsl', 'scripts/build-wasm.mjs'], { cwd: ROOT, maxBuffer: 1 << 28 });
    execFileSync('tar', ['-x', '-C', dir], { input: tar });
    mkdirSync(join(dir, 'src/backends/wasm'), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    const r = spawnSync(process.execPath, ['scripts/build-wasm.mjs'], { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`building ${rev}: ${r.stderr}`);
    return { bytes: readFileSync(join(dir, `build/webconv-${flavor}.wasm`)), blocks: JSON.parse(readFileSync(join(dir, 'assembly/params.json'), 'utf8')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const baseRev = baseRevision();
const sides = {
  base: buildBase(baseRev),
  new: { bytes: readFileSync(join(ROOT, `build/webconv-${flavor}.wasm`)), blocks: JSON.parse(readFileSync(join(ROOT, 'assembly/params.json'), 'utf8')) },
};

// ---------------------------------------------------------------------------------------
// Memory, parameter blocks

/** A kernels instance over a memory of `bytes`, with a bump allocator from 1024 on. */
async function instance(side, bytes) {
  const memory = new WebAssembly.Memory({ initial: Math.ceil((bytes + (1 << 20)) / 65536) });
  const { instance: inst } = await WebAssembly.instantiate(side.bytes, { env: { memory } });
  let top = 1024;
  const alloc = (n) => {
    const p = top;
    top = Math.ceil((top + n) / 64) * 64;
    if (top > memory.buffer.byteLength) throw new Error('bench memory too small');
    return p;
  };
  const f32 = () => new Float32Array(memory.buffer);
  /** Writes `block`'s fields by name (missing ones 0); returns its offset. */
  const params = (block, v) => {
    const fields = side.blocks[block];
    const p = alloc(fields.length * 4);
    const i32 = new Int32Array(memory.buffer, p, fields.length);
    const fl = new Float32Array(memory.buffer, p, fields.length);
    fields.forEach(([name, type], i) => {
      if (type === 'f32') fl[i] = v[name] ?? 0;
      else i32[i] = v[name] ?? 0;
    });
    return p;
  };
  const upload = (data) => {
    const p = alloc(data.byteLength);
    f32().set(data, p / 4);
    return p;
  };
  const has = (block, field) => side.blocks[block].some(([name]) => name === field);
  const fn = (prefix) => {
    const names = Object.keys(inst.exports).filter((n) => n.startsWith(prefix));
    if (names.length !== 1) throw new Error(`exports starting ${prefix}: ${names.join(', ')}`);
    return inst.exports[names[0]];
  };
  return { exports: inst.exports, alloc, f32, params, upload, has, fn };
}

/** Seeded values in [-1, 1). */
function seeded(n, seed) {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 2 ** 31 - 1;
  }
  return a;
}

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
        block: scratch + col, tile0: 0, tile1: Math.ceil((OH * OW) / TILE), mb0: 0, mb1: MBg, kc: KC, acc: scratch + col + 128,
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

// ---------------------------------------------------------------------------------------
// Measuring

const now = () => performance.now();
const median = (xs) => {
  const s = [...xs].sort((p, q) => p - q);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function measure(label, make) {
  const c = make();
  const runs = { base: await c.setup(sides.base), new: await c.setup(sides.new) };
  // Warm-up: V8 runs wasm in its baseline tier first and swaps in optimised code on later calls.
  const warm = (r) => {
    const t = now();
    let n = 0;
    do {
      r.run();
      n++;
    } while (n < 5 || now() - t < 300);
  };
  warm(runs.base);
  warm(runs.new);
  // Calls per sample: about 20 ms of the slower side.
  const once = (r) => {
    const t = now();
    r.run();
    return now() - t;
  };
  const reps = Math.max(1, Math.round(20 / Math.max(once(runs.base), once(runs.new))));
  const samples = { base: [], new: [] };
  for (let i = 0; i < rounds; i++) {
    for (const side of i % 2 ? ['new', 'base'] : ['base', 'new']) {
      const t = now();
      for (let j = 0; j < reps; j++) runs[side].run();
      samples[side].push((now() - t) / reps);
    }
  }
  const counted = {};
  for (const side of ['base', 'new']) {
    const e = runs[side].m.exports;
    e.mac_reset();
    runs[side].run();
    counted[side] = e.mac_count();
  }
  const a = runs.base.output(), b = runs.new.output();
  let maxRef = 0, maxDiff = 0;
  for (let i = 0; i < a.length; i++) {
    maxRef = Math.max(maxRef, Math.abs(a[i]));
    maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
  }
  const stat = (xs) => ({ minMs: +Math.min(...xs).toFixed(4), medianMs: +median(xs).toFixed(4) });
  const row = {
    case: label, macs: c.macs, callsPerSample: reps, rounds,
    base: { ...stat(samples.base), gflops: +((2 * c.macs) / (Math.min(...samples.base) * 1e6)).toFixed(2), countedMacs: counted.base },
    new: { ...stat(samples.new), gflops: +((2 * c.macs) / (Math.min(...samples.new) * 1e6)).toFixed(2), countedMacs: counted.new },
    ratioMin: +(Math.min(...samples.new) / Math.min(...samples.base)).toFixed(3),
    ratioMedian: +(median(samples.new) / median(samples.base)).toFixed(3),
    // Each round's two samples are taken back to back, under the same load: the median of
    // their ratios is the least disturbed by a shared machine's slow spells.
    ratioPaired: +median(samples.new.map((t, i) => t / samples.base[i])).toFixed(3),
    maxAbsDiff: maxDiff, maxAbsReference: maxRef,
  };
  console.log(
    `${label.padEnd(64)} base ${row.base.minMs.toFixed(3).padStart(9)} / ${row.base.medianMs.toFixed(3).padStart(9)} ms  new ${row.new.minMs.toFixed(3).padStart(9)} / ${row.new.medianMs.toFixed(3).padStart(9)} ms  ratio ${row.ratioMin.toFixed(3)} (medians ${row.ratioMedian.toFixed(3)}, paired ${row.ratioPaired.toFixed(3)})  ${row.base.gflops} -> ${row.new.gflops} GFLOP/s  diff ${maxDiff.toExponential(1)}`,
  );
  return row;
}

const wanted = values.cases?.split(';');
const rows = [];
const loadBefore = loadavg().map((x) => +x.toFixed(2));
console.log(`base ${baseRev.slice(0, 12)} vs the working tree, ${flavor} build, ${rounds} rounds; min / median per call`);
for (const [label, make] of Object.entries(CASES)) {
  if (wanted && !wanted.some((w) => label.startsWith(w))) continue;
  rows.push(await measure(label, make));
}

const lscpu = spawnSync('lscpu', { encoding: 'utf8' }).stdout ?? '';
const cpu = (key) => lscpu.match(new RegExp(`^${key}:\\s*(.+)$`, 'm'))?.[1].trim();
const head = git('rev-parse', 'HEAD');
const dirty = git('status', '--porcelain', '--', 'assembly', 'src').length > 0;
const report = {
  what: 'fused activations out of line (assembly/params.ts activateSimple + activateRows) vs inlined in every epilogue: conv2d, dwconv, fc called directly, one thread',
  how: `one process, both builds loaded, A/B alternated for ${rounds} rounds after >= 300 ms warm-up each; a sample is the mean of enough calls for ~20 ms; ratio = new / base (below 1: faster); ratioPaired = median over rounds of new / base within the round`,
  date: new Date().toISOString(),
  base: baseRev,
  new: `${head}${dirty ? ' + uncommitted changes' : ''}`,
  build: flavor,
  machine: { nproc: availableParallelism(), cpu: cpu('Model name'), l1d: cpu('L1d cache'), l2: cpu('L2 cache'), l3: cpu('L3 cache'), node: process.version },
  // The machine is shared: its load average (1, 5, 15 min) before and after the run.
  load: { before: loadBefore, after: loadavg().map((x) => +x.toFixed(2)) },
  cases: rows,
};
if (values.json) {
  writeFileSync(values.json, JSON.stringify(report, null, 2) + '\n');
  console.log(`written ${values.json}`);
}

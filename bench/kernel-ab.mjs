// The A/B machinery of the kernel benchmarks (bench/gemm-ukernel.bench.mjs,
// bench/fused-activation.bench.mjs): a base revision's kernels built from git with its own
// build script beside the working tree's build/, each kernel called directly on its parameter
// block, the two alternated A, B, A, B for every round after warm-up, and the JSON report.
// What each script brings: its cases (each { macs, setup(side) -> { m, run, output } }, built
// on `instance`), its flags and its description.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(new URL('..', import.meta.url).pathname);
export const git = (...args) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();

/** Builds `rev`'s kernels with its own build script; returns its wasm bytes and parameter blocks. */
export function buildBase(rev, flavor) {
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

/** The two sides: `rev`'s build (see buildBase) and the working tree's build/ of `flavor`. */
export function loadSides(rev, flavor) {
  return {
    base: buildBase(rev, flavor),
    new: { bytes: readFileSync(join(ROOT, `build/webconv-${flavor}.wasm`)), blocks: JSON.parse(readFileSync(join(ROOT, 'assembly/params.json'), 'utf8')) },
  };
}

/** A kernels instance over a memory of `bytes`, with a bump allocator from 1024 on. */
export async function instance(side, bytes) {
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
export function seeded(n, seed) {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 2 ** 31 - 1;
  }
  return a;
}

// ---------------------------------------------------------------------------------------
// Measuring

const now = () => performance.now();
const median = (xs) => {
  const s = [...xs].sort((p, q) => p - q);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function measure(label, make, sides, rounds) {
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

/**
 * Measures every case whose label starts with one of `wanted` (all without it), prints a
 * line each, and writes the report to `json` when given.
 */
export async function runCases({ cases, sides, rounds, wanted, baseRev, flavor, what, json }) {
  const rows = [];
  const loadBefore = loadavg().map((x) => +x.toFixed(2));
  console.log(`base ${baseRev.slice(0, 12)} vs the working tree, ${flavor} build, ${rounds} rounds; min / median per call`);
  for (const [label, make] of Object.entries(cases)) {
    if (wanted && !wanted.some((w) => label.startsWith(w))) continue;
    rows.push(await measure(label, make, sides, rounds));
  }
  const lscpu = spawnSync('lscpu', { encoding: 'utf8' }).stdout ?? '';
  const cpu = (key) => lscpu.match(new RegExp(`^${key}:\\s*(.+)$`, 'm'))?.[1].trim();
  const head = git('rev-parse', 'HEAD');
  const dirty = git('status', '--porcelain', '--', 'assembly', 'src').length > 0;
  const report = {
    what,
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
  if (json) {
    writeFileSync(json, JSON.stringify(report, null, 2) + '\n');
    console.log(`written ${json}`);
  }
  return report;
}

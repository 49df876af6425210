#!/usr/bin/env node
// Cold start (issue 14 item 4): webconv's import + compile against onnxruntime-web's
// InferenceSession.create on the SAME PyTorch export (scripts/export_torch_models.py
// `<model>@224`, cached as bench/torchvision.bench.mjs caches them), wasm, one thread.
//
// Each sample is a FRESH Node process that loads one runtime's package, reads the file
// (not timed), then times:
//   create1  webconv: importOnnx + wasm compile; ort-web: InferenceSession.create. The first
//            in the process, so each pays its own one-time set-up inside it: webconv
//            decoding and compiling its kernels module, ort-web fetching, compiling and
//            instantiating its ~14 MB wasm. What a page pays on its first model.
//   run1     the first run after it (wasm code still on V8's baseline tier for both);
//   create2  the same model again in the same process, after dispose / release: the
//            runtime's one-time set-up done (the cost of each further model in an app);
//   run2     its first run.
// The runtimes' processes alternate, the order flipped every round (A B, B A, ...), so a
// noisy machine hits both alike; min and median per figure; ratio webconv / ort-web (< 1:
// webconv faster; the target is <= 0.5). `--dist a,b` times webconv builds against each other
// (their dist/ folders) beside ort-web, to measure a change old vs new.
//
//   node bench/cold-start.bench.mjs [--models resnet50,mobilenet_v2,efficientnet_b0,resnet18]
//        [--rounds 7] [--runtimes webconv,ort-web] [--dist dist] [--relaxed] [--json out.json]
// `--relaxed` runs webconv's relaxed-SIMD build (Node 20 gets --experimental-wasm-relaxed-simd).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    models: { type: 'string', default: 'resnet50,mobilenet_v2,efficientnet_b0,resnet18' },
    rounds: { type: 'string', default: '7' },
    runtimes: { type: 'string', default: 'webconv,ort-web' },
    dist: { type: 'string', default: join(here, '../dist') },
    relaxed: { type: 'boolean', default: false },
    json: { type: 'string' },
    child: { type: 'string' },
    file: { type: 'string' },
  },
});

if (values.child) {
  // One sample: this process's first and second creation of one runtime on one file.
  const now = () => performance.now();
  const t0 = now();
  const bytes = () => new Uint8Array(readFileSync(values.file));
  const input = new Float32Array(3 * 224 * 224).fill(0.5);
  let create;
  if (values.child === 'ort-web') {
    const ort = await import('onnxruntime-web');
    ort.env.wasm.numThreads = 1;
    ort.env.logLevel = 'error';
    create = async (b) => {
      const session = await ort.InferenceSession.create(b, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
      const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', input, [1, 3, 224, 224]) };
      return { run: () => session.run(feeds), dispose: () => session.release() };
    };
  } else {
    const { getBackend, importOnnx } = await import(pathToFileURL(join(values.dist, 'index.js')).href);
    const wasm = getBackend('wasm');
    create = async (b) => {
      const exe = await wasm.compile(importOnnx(b), { threads: 1, relaxedSimd: values.relaxed });
      return { run: () => exe.run(input), dispose: () => exe.dispose() };
    };
  }
  const loadMs = now() - t0;
  const out = { loadMs };
  for (const k of [1, 2]) {
    const b = bytes();
    const t1 = now();
    const r = await create(b);
    const t2 = now();
    await r.run();
    out[`create${k}`] = t2 - t1;
    out[`run${k}`] = now() - t2;
    await r.dispose();
  }
  process.stdout.write(JSON.stringify(out) + '\n');
  process.exit(0);
}

const models = values.models.split(',').filter(Boolean);
const rounds = Math.max(1, Number(values.rounds));
const dists = values.dist.split(',').map((d) => resolve(d));
// Contestants: each webconv build (by dist folder) and ort-web.
const contestants = values.runtimes.split(',').flatMap((r) =>
  r === 'webconv' ? dists.map((d, i) => ({ name: dists.length > 1 ? `webconv[${i}]` : 'webconv', runtime: 'webconv', dist: d })) : [{ name: r, runtime: r }],
);
const dir = join(tmpdir(), 'webconv-bench-cache', 'torchvision');
const missing = models.filter((m) => !existsSync(join(dir, `${m}@224.onnx`)));
if (missing.length) {
  const r = spawnSync('/usr/bin/python3', [join(here, '../scripts/export_torch_models.py'), dir, ...missing.map((m) => `${m}@224`)], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`scripts/export_torch_models.py failed (exit ${r.status})`);
}
const nodeFlags = values.relaxed ? ['--experimental-wasm-relaxed-simd'] : [];
const FIGURES = ['loadMs', 'create1', 'run1', 'create2', 'run2'];
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0], median: s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2 };
};

const results = [];
for (const model of models) {
  const file = join(dir, `${model}@224.onnx`);
  const samples = new Map(contestants.map((c) => [c.name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const c of round % 2 ? [...contestants].reverse() : contestants) {
      const args = [...nodeFlags, fileURLToPath(import.meta.url), '--child', c.runtime, '--file', file, ...(c.dist ? ['--dist', c.dist] : []), ...(values.relaxed ? ['--relaxed'] : [])];
      const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 20 });
      if (r.status !== 0) throw new Error(`${c.name} on ${model} failed: ${r.stderr}`);
      samples.get(c.name).push(JSON.parse(r.stdout.trim().split('\n').pop()));
    }
    console.error(`${model}: round ${round + 1}/${rounds}`);
  }
  const row = { model, fileMB: readFileSync(file).length / 1e6, runtimes: {} };
  for (const [name, xs] of samples) row.runtimes[name] = Object.fromEntries(FIGURES.map((f) => [f, stats(xs.map((x) => x[f]))]));
  results.push(row);
}

console.log(`cold start, fresh process per sample, ${rounds} rounds alternating, one thread; min (median) ms`);
console.log('model             runtime        load lib   create #1   first run   create #2   first run    create #1 / ort  create #2 / ort');
for (const r of results) {
  const ort = r.runtimes['ort-web'];
  for (const [name, t] of Object.entries(r.runtimes)) {
    const f = (k) => `${t[k].min.toFixed(0)} (${t[k].median.toFixed(0)})`.padStart(11);
    const ratio = (k) => (ort && name !== 'ort-web' ? `${(t[k].min / ort[k].min).toFixed(2)} (${(t[k].median / ort[k].median).toFixed(2)})` : '').padStart(16);
    console.log(`${(name === contestants[0].name ? r.model : '').padEnd(17)} ${name.padEnd(12)} ${f('loadMs')} ${f('create1')} ${f('run1')} ${f('create2')} ${f('run2')} ${ratio('create1')} ${ratio('create2')}`);
  }
}
if (values.json) {
  mkdirSync(dirname(values.json), { recursive: true });
  writeFileSync(values.json, JSON.stringify({ date: new Date().toISOString(), node: process.version, relaxed: values.relaxed, rounds, figures: 'ms; min and median over fresh processes', results }, null, 2) + '\n');
  console.log(`wrote ${values.json}`);
}

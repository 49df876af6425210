#!/usr/bin/env node
// torchvision's lightweight classifiers as an app ships them (issue 13): each exported by
// PyTorch (scripts/export_torch_models.py `<model>@224`: 224x224, batch 1, torch.onnx.export's
// own settings, random weights under a fixed seed), and the SAME .onnx file given to webconv's
// wasm backend (plain SIMD, and relaxed SIMD where the engine has it) and to onnxruntime-web
// (its wasm backend), one thread each, in ONE process:
//   cold   import/compile (session creation) + first run, each runtime once (`createMs`: without
//          the first run); both runtimes' once-per-process set-up (their own wasm compiled) is
//          done before the first model, on LeNet-5, so every model's figure is measured in the
//          same state, and webconv has not imported the model before (bench/cold-start.bench.mjs
//          times fresh processes instead);
//   warm   `--warmup` untimed runs of each, then `--rounds` rounds of one timed run each,
//          alternating and flipping the order every round (the harness's `interleave`);
//          min and median per runtime and the ratios ort-web / webconv (> 1: webconv faster).
// Every output is compared with PyTorch's (max |diff| / max |y|).
//
//   node --experimental-wasm-relaxed-simd bench/torchvision.bench.mjs
//        [--models mobilenet_v3_small,...] [--rounds 15] [--warmup 3] [--threads 1] [--json out.json]
// (Node 20 needs the flag for relaxed SIMD; without it only the plain SIMD build runs.)
// The exports are cached in <tmpdir>/webconv-bench-cache/torchvision (Python with torch and
// torchvision: `apt-get install python3-torchvision`).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildModel, costTable, exportOnnx, getBackend, importOnnx, parseNpy } from '../dist/index.js';
import { coldStart, environment, interleave, maxAbsDiff, packageVersion } from '../dist/bench/harness.js';

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: 'mobilenet_v3_small,mobilenet_v3_large,shufflenetv2,mnasnet1_0,efficientnet_b0,convnext_tiny' },
    side: { type: 'string', default: '224' },
    rounds: { type: 'string', default: '15' },
    warmup: { type: 'string', default: '3' },
    threads: { type: 'string', default: '1' },
    json: { type: 'string' },
  },
});
const here = dirname(fileURLToPath(import.meta.url));
const models = values.models.split(',').filter(Boolean);
const rounds = Math.max(1, Number(values.rounds));
const warmup = Math.max(0, Number(values.warmup));
const threads = Math.max(1, Number(values.threads));
const started = performance.now();
const log = (msg) => console.error(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${msg}`);

// The exports, made once and reused.
const dir = join(tmpdir(), 'webconv-bench-cache', 'torchvision');
const names = models.map((m) => `${m}@${values.side}`);
const missing = names.filter((n) => !['.onnx', '.input.npy', '.output.npy'].every((ext) => existsSync(join(dir, n + ext))));
if (missing.length) {
  log(`exporting ${missing.join(', ')} with PyTorch`);
  const r = spawnSync('/usr/bin/python3', [join(here, '../scripts/export_torch_models.py'), dir, ...missing], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`scripts/export_torch_models.py failed (exit ${r.status})`);
}

const env = await environment();
const relaxed = env.wasmFeatures.includes('relaxed-simd');
const ort = await import('onnxruntime-web');
ort.env.wasm.numThreads = threads;
ort.env.logLevel = 'error';
const wasm = getBackend('wasm');
{
  // Each runtime's once-per-process set-up, outside every model's cold figure (it used to land
  // in the first model's: onnxruntime-web's ~0.5-1 s wasm compile, webconv's module).
  const tiny = exportOnnx(buildModel('lenet5'));
  const exe = await wasm.compile(importOnnx(tiny), { threads, relaxedSimd: false });
  exe.dispose();
  if (relaxed) (await wasm.compile(importOnnx(tiny), { threads, relaxedSimd: true })).dispose();
  await (await ort.InferenceSession.create(tiny, { executionProviders: ['wasm'] })).release();
}
const relError = (a, y) => maxAbsDiff(a, y) / y.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

const results = [];
for (const [i, model] of models.entries()) {
  const bytes = new Uint8Array(readFileSync(join(dir, `${names[i]}.onnx`)));
  const x = parseNpy(readFileSync(join(dir, `${names[i]}.input.npy`))).data;
  const y = parseNpy(readFileSync(join(dir, `${names[i]}.output.npy`))).data;
  const shape = [1, 3, Number(values.side), Number(values.side)];
  const row = { model, file: `${names[i]}.onnx`, fileMB: bytes.length / 1e6, runtimes: {} };
  const runners = [];
  const builds = [['webconv', false], ...(relaxed ? [['webconv-relaxed', true]] : [])];
  for (const [name, relaxedSimd] of builds) {
    log(`${model}: ${name} import + compile + first run`);
    const c = await coldStart(async () => {
      const exe = await wasm.compile(importOnnx(bytes), { threads, relaxedSimd });
      return { info: name, run: async (v) => (await exe.run(v))[exe.outputs[0].name].data, dispose: () => exe.dispose() };
    }, x);
    row.runtimes[name] = { coldMs: c.coldMs, createMs: c.createMs, errorVsPytorch: relError(c.output, y) };
    runners.push({ name, run: () => c.runner.run(x), dispose: () => c.runner.dispose() });
  }
  log(`${model}: ort-web session + first run`);
  const o = await coldStart(async () => {
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
    const input = session.inputNames[0];
    return {
      info: `onnxruntime-web ${ort.env.versions?.web ?? ''}`,
      run: async (v) => (await session.run({ [input]: new ort.Tensor('float32', v, [...shape]) }))[session.outputNames[0]].data,
      dispose: () => void session.release(),
    };
  }, x);
  row.runtimes['ort-web'] = { coldMs: o.coldMs, createMs: o.createMs, errorVsPytorch: relError(o.output, y) };
  row.gflopPerImage = costTable(importOnnx(bytes)).totals.flops / 1e9;
  runners.push({ name: 'ort-web', run: () => o.runner.run(x), dispose: () => o.runner.dispose() });

  const timed = await interleave(runners, { warmup, rounds, onRound: (k) => k % 5 === 0 && log(`${model}: round ${k + 1}/${rounds}`) });
  if (timed.failed) row.runtimes[timed.failed.name].error = String(timed.failed.error?.message ?? timed.failed.error).split('\n')[0];
  for (const [name, lat] of Object.entries(timed.latency)) row.runtimes[name].warm = lat;
  const theirs = row.runtimes['ort-web'].warm;
  for (const [name] of builds) {
    const ours = row.runtimes[name].warm;
    if (ours && theirs) row.runtimes[name].ortOverWebconv = { min: theirs.minMs / ours.minMs, median: theirs.medianMs / ours.medianMs };
  }
  for (const r of runners) r.dispose();
  results.push(row);
}

console.log(`machine: ${env.cpu}, ${env.cores} cores, Node ${env.node}; ${threads} thread(s); onnxruntime-web ${ort.env.versions?.web ?? ''} (wasm)`);
console.log(`same PyTorch export for every runtime, ${values.side}x${values.side}, batch 1; ${warmup} warm-up + ${rounds} timed runs each, interleaved in one process`);
console.log('');
console.log('model                 GFLOP  runtime          create ms  cold ms   min ms  median ms  ort/webconv (min, median)  err vs PyTorch');
for (const r of results) {
  for (const [name, t] of Object.entries(r.runtimes)) {
    const w = t.warm;
    const ratio = t.ortOverWebconv ? `${t.ortOverWebconv.min.toFixed(2)}x, ${t.ortOverWebconv.median.toFixed(2)}x` : '';
    console.log(
      `${(name === 'webconv' ? r.model : '').padEnd(20)} ${(name === 'webconv' ? r.gflopPerImage.toFixed(2) : '').padStart(6)}  ${name.padEnd(16)} ${t.createMs.toFixed(0).padStart(9)} ${t.coldMs.toFixed(0).padStart(8)} ${w ? w.minMs.toFixed(1).padStart(8) : '   error'} ${w ? w.medianMs.toFixed(1).padStart(10) : ''}  ${ratio.padStart(25)}  ${t.errorVsPytorch.toExponential(1).padStart(14)}${t.error ? '  ' + t.error : ''}`,
    );
  }
}
const out = values.json ?? join(here, 'results', `torchvision-${threads}thread.json`);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify({ tool: 'webconv', version: await packageVersion(), date: new Date().toISOString(), environment: env, threads, side: Number(values.side), warmup, rounds, results }, null, 2) + '\n');
console.log(`wrote ${out}`);

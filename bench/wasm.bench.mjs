#!/usr/bin/env node
// webconv's wasm backend beside onnxruntime-web (wasm) and TensorFlow.js's wasm backend
// (XNNPACK), same models, same weights, same thread count, in one run: cold (compile + first
// run) and warm (min / median / p90 over tinybench samples) latency, GFLOP/s from the cost
// model, and the ratios. Also the device's wasm SIMD peak, measured here, and how close
// VGG-16's 3x3 convolutions come to it.
//
//   node --experimental-wasm-relaxed-simd bench/wasm.bench.mjs [--models a,b] [--json out.json]
//        [--compare ort-web,tfjs-wasm] [--time ms]
// (Node 20 needs the flag for relaxed SIMD; without it only the plain SIMD build runs.)
// Each runtime runs in a child process of its own, one after the other: in one process,
// onnxruntime-web ran 2.3x slower once TensorFlow.js's wasm backend had initialised (seen
// here), and no runtime should pay for another's.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { Bench } from 'tinybench';
import '../dist/backends/register-all.js';
import { getBackend } from '../dist/backends/registry.js';
import { supports, kernelsModule } from '../dist/backends/wasm/wasm-module.js';
import { buildModel, costTable } from '../dist/index.js';
import { mulberry32 } from '../dist/graph/weight-init.js';

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: 'lenet5,resnet18,resnet50,googlenet,mobilenetv2,vgg16' },
    compare: { type: 'string', default: 'ort-web,tfjs-wasm' },
    json: { type: 'string' },
    time: { type: 'string', default: '3000' },
    threads: { type: 'string', default: '1' },
    only: { type: 'string' },
  },
});
const threads = Number(values.threads);
const timeBudget = Number(values.time);

/** The wasm SIMD ceiling: 16 independent multiply-add chains, after warm-up (V8 tiers up). */
async function peak(flavor) {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const { exports } = await WebAssembly.instantiate(await kernelsModule(flavor), { env: { memory } });
  for (let i = 0; i < 10; i++) exports.f32_peak_madd16x4(1e6);
  let best = 0;
  for (let r = 0; r < 5; r++) {
    const n = 2e7;
    const t = performance.now();
    exports.f32_peak_madd16x4(n);
    best = Math.max(best, (n * 16 * 4 * 2) / ((performance.now() - t) * 1e6));
  }
  return best;
}

function input(graph) {
  const next = mulberry32(3);
  return Float32Array.from({ length: graph.inputs[0].shape.reduce((a, b) => a * b, 1) }, () => next() * 2 - 1);
}

const stats = (samples) => {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { min: s[0], median: q(0.5), p90: q(0.9), samples: s.length };
};

/** Cold: prepare (compile / session creation) + first run. Warm: tinybench over `timeBudget`. */
async function measure(prepare, x) {
  const t0 = performance.now();
  const runner = await prepare();
  const first = await runner.run(x);
  const coldMs = performance.now() - t0;
  for (let i = 0; i < 2; i++) await runner.run(x);
  const bench = new Bench({ time: timeBudget, iterations: 5, warmup: false, retainSamples: true });
  bench.add('run', async () => {
    await runner.run(x);
  });
  await bench.run();
  const task = bench.tasks[0];
  const lat = task.result.latency;
  const warm = lat.samples?.length ? stats(lat.samples) : { min: lat.min, median: lat.p50, p90: lat.p99, samples: lat.samplesCount };
  return { runner, first, coldMs, warm };
}

const peerNames = values.compare.split(',').filter(Boolean);
const machine = { cpu: os.cpus()[0]?.model, cores: os.cpus().length, node: process.version, platform: `${os.platform()} ${os.arch()}` };
const models = values.models.split(',');

if (values.only) {
  // Child: one runtime, every model; one JSON line per model on stdout.
  const runtime = values.only;
  const { PEERS } = await import('../dist/bench/peers.js');
  const peer = runtime.startsWith('webconv') ? undefined : PEERS[runtime];
  if (!runtime.startsWith('webconv') && !peer) throw new Error(`unknown peer '${runtime}'`);
  const peaks = { simd: await peak('simd'), ...(supports('relaxed-simd') ? { 'relaxed-simd': await peak('relaxed-simd') } : {}) };
  for (const model of models) {
    const graph = buildModel(model, { batch: 1 });
    const cost = costTable(graph);
    const x = input(graph);
    // webconv's plain-SIMD output, single-threaded, is the baseline every runtime is diffed against.
    const base = await getBackend('wasm').compile(graph, { relaxedSimd: false });
    const baseline = (await base.run(x))[graph.outputs[0]].data;
    base.dispose();
    const prep = peer
      ? () => peer.prepare(graph, { threads })
      : async () => {
          const exe = await getBackend('wasm').compile(graph, { relaxedSimd: runtime.endsWith('relaxed'), threads });
          return { exe, run: async (v) => (await exe.run(v))[graph.outputs[0]].data, dispose: () => exe.dispose() };
        };
    let row;
    try {
      const m = await measure(prep, x);
      let maxDiff = 0;
      for (let i = 0; i < baseline.length; i++) maxDiff = Math.max(maxDiff, Math.abs(baseline[i] - m.first[i]));
      row = { runtime, info: m.runner.info ?? m.runner.exe?.info(), coldMs: m.coldMs, warmMs: m.warm, gflops: cost.totals.flops / (m.warm.median * 1e6), maxAbsDiffVsWebconv: maxDiff };
      if (m.runner.exe && model.startsWith('vgg')) row.conv3x3 = conv3x3Efficiency(cost, m.runner.exe);
      m.runner.dispose?.();
    } catch (e) {
      row = { runtime, error: String(e.message ?? e).split('\n')[0] };
    }
    console.log('RESULT ' + JSON.stringify({ model, peaks, row }));
  }
  process.exit(0);
}

// Parent: run each runtime in its own process, then print and save the side-by-side table.
const script = fileURLToPath(import.meta.url);
const runtimes = ['webconv-wasm', ...(supports('relaxed-simd') ? ['webconv-wasm-relaxed'] : []), ...peerNames];
const byModel = new Map(models.map((m) => [m, []]));
let peaks;
for (const runtime of runtimes) {
  const args = [...process.execArgv, script, '--only', runtime, '--models', values.models, '--time', values.time, '--threads', values.threads];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  const lines = r.stdout.split('\n').filter((l) => l.startsWith('RESULT '));
  if (r.status !== 0 || lines.length === 0) {
    for (const m of models) byModel.get(m).push({ runtime, error: (r.stderr || `exit ${r.status}`).trim().split('\n').pop() });
    continue;
  }
  for (const l of lines) {
    const { model, peaks: p, row } = JSON.parse(l.slice(7));
    peaks ??= p;
    byModel.get(model).push(row);
  }
}
console.log(`machine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}; threads ${threads}`);
console.log(`wasm SIMD peak (measured): ${peaks.simd.toFixed(1)} GFLOP/s plain` + (peaks['relaxed-simd'] ? `, ${peaks['relaxed-simd'].toFixed(1)} relaxed` : ''));
const results = [];
for (const model of models) {
  const flops = costTable(buildModel(model)).totals.flops;
  results.push({ model, gflopPerImage: flops / 1e9, rows: byModel.get(model) });
  print(model, flops, byModel.get(model));
}

/** GFLOP/s of the 3x3 convolutions alone, from the executable's per-node profile. */
function conv3x3Efficiency(cost, exe) {
  const byNode = new Map(exe.profile().map((p) => [p.node, p.ms]));
  let flops = 0;
  let ms = 0;
  for (const row of cost.layers) {
    if (row.type !== 'conv2d' || row.kernel !== 3) continue;
    flops += row.flops;
    ms += byNode.get(row.name) ?? 0;
  }
  return { gflops: flops / (ms * 1e6), ms };
}

function print(model, flops, rows) {
  console.log(`\n${model}: ${(flops / 1e9).toFixed(3)} GFLOP per image`);
  console.log('runtime                 cold ms    warm min   median      p90   GFLOP/s   vs webconv   max|diff|');
  const ours = rows.find((r) => r.runtime === 'webconv-wasm' && !r.error);
  for (const r of rows) {
    if (r.error) {
      console.log(`${r.runtime.padEnd(22)}  error: ${r.error}`);
      continue;
    }
    const ratio = ours ? (r.warmMs.median / ours.warmMs.median).toFixed(2) + 'x' : '';
    console.log(
      `${r.runtime.padEnd(22)} ${r.coldMs.toFixed(1).padStart(8)} ${r.warmMs.min.toFixed(1).padStart(10)} ${r.warmMs.median.toFixed(1).padStart(8)} ${r.warmMs.p90.toFixed(1).padStart(8)} ${r.gflops.toFixed(1).padStart(9)} ${ratio.padStart(12)} ${r.maxAbsDiffVsWebconv.toExponential(1).padStart(11)}`,
    );
    if (r.conv3x3) {
      const flavor = r.runtime.endsWith('relaxed') ? 'relaxed-simd' : 'simd';
      console.log(`  3x3 convs: ${r.conv3x3.gflops.toFixed(1)} GFLOP/s = ${((100 * r.conv3x3.gflops) / peaks[flavor]).toFixed(0)}% of the ${flavor} peak`);
    }
  }
}

if (values.json) writeFileSync(values.json, JSON.stringify({ date: new Date().toISOString(), machine, threads, peaks, results }, null, 2));

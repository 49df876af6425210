#!/usr/bin/env node
// webconv's wasm backend beside onnxruntime-web (wasm) and TensorFlow.js's wasm backend
// (XNNPACK), same models, same weights, same thread count, in one run. The comparison is
// interleaved: for each peer, one process runs webconv (plain SIMD, and relaxed SIMD where the
// engine has it) and that peer alternately, `--rounds` rounds of one run each after warm-up,
// the order flipped every round (the harness's `interleave`), and reports min and median of
// each and the ratios of both. Each peer gets a process of its own (in one process,
// onnxruntime-web ran 2.3x slower once TensorFlow.js's wasm backend had initialised, seen
// here, and no runtime should pay for another's). One more process measures webconv alone
// with the harness (src/bench/harness.ts, as `webconv bench` does it): cold latency, GFLOP/s
// from the cost model, the device's wasm SIMD peak measured in the same process, and how
// close VGG-16's 3x3 convolutions come to it. Every output is diffed against webconv's
// plain-SIMD one.
//
//   node --experimental-wasm-relaxed-simd bench/wasm.bench.mjs [--models a,b] [--json out.json]
//        [--compare ort-web,tfjs-wasm] [--rounds 15] [--time ms] [--threads n]
// (Node 20 needs the flag for relaxed SIMD; without it only the plain SIMD build runs.)
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildModel, costTable, getBackend, optimizeGraph } from '../dist/index.js';
import { benchInput, benchmarkModel, coldStart, environment, interleave, maxAbsDiff, measurePeaks, packageVersion } from '../dist/bench/harness.js';
import { modelRoof } from '../dist/bench/report.js';

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: 'lenet5,resnet18,resnet50,googlenet,mobilenetv2,vgg16' },
    compare: { type: 'string', default: 'ort-web,tfjs-wasm' },
    json: { type: 'string' },
    time: { type: 'string', default: '3000' },
    threads: { type: 'string', default: '1' },
    rounds: { type: 'string', default: '15' },
    only: { type: 'string' },
  },
});
const threads = Number(values.threads);
const timeMs = Number(values.time);
const rounds = Math.max(10, Number(values.rounds));
const peerNames = values.compare.split(',').filter(Boolean);
const models = values.models.split(',');

if (values.only) {
  // Child: webconv alone ('webconv'), or webconv's builds and one peer alternating (the peer's
  // name); one JSON line per model on stdout.
  const runtime = values.only;
  const { PEERS } = await import('../dist/bench/peers.js');
  const webconv = runtime === 'webconv';
  const peer = webconv ? undefined : PEERS[runtime];
  if (!webconv && !peer) throw new Error(`unknown peer '${runtime}'`);
  const peaks = webconv ? await measurePeaks() : undefined;
  const relaxed = (await environment()).wasmFeatures.includes('relaxed-simd');
  for (const model of models) {
    const graph = buildModel(model, { batch: 1 });
    const x = benchInput(graph);
    // webconv's plain-SIMD output, single-threaded, is the baseline every runtime is diffed against.
    const base = await getBackend('wasm').compile(graph, { relaxedSimd: false });
    const baseline = (await base.run(x))[graph.outputs[0]].data;
    base.dispose();
    let row;
    try {
      if (webconv) {
        row = {};
        for (const build of ['plain', ...(relaxed ? ['relaxed'] : [])]) {
          const r = await benchmarkModel(graph, peaks, { backend: 'wasm', threads, timeMs, compile: { relaxedSimd: build === 'relaxed' }, reference: baseline });
          row[build] = { info: r.info, coldMs: r.cold.compileMs + r.cold.firstRunMs, warm: r.warm, gflops: r.totals.achievedGflops, maxAbsDiffVsPlain: r.maxAbsDiff };
          if (model.startsWith('vgg')) row[build].conv3x3 = conv3x3Efficiency(graph, r, peaks);
        }
      } else {
        row = await alternate(graph, x, baseline, relaxed);
      }
    } catch (e) {
      row = { error: String(e.message ?? e).split('\n')[0] };
    }
    console.log('RESULT ' + JSON.stringify({ model, peaks, row }));
  }
  process.exit(0);

  /** webconv's builds and the peer, each cold-started, then alternating rounds. */
  async function alternate(graph, x, baseline, relaxed) {
    const runners = [];
    const row = { runtimes: {} };
    const builds = [['webconv', false], ...(relaxed ? [['webconv-relaxed', true]] : [])];
    try {
      for (const [name, relaxedSimd] of builds) {
        const c = await coldStart(async () => {
          const exe = await getBackend('wasm').compile(graph, { threads, relaxedSimd });
          return { info: name, run: async (v) => (await exe.run(v))[graph.outputs[0]].data, dispose: () => exe.dispose() };
        }, x);
        runners.push({ name, runner: c.runner });
        row.runtimes[name] = { coldMs: c.coldMs, maxAbsDiffVsPlain: maxAbsDiff(baseline, c.output) };
      }
      const c = await coldStart(() => peer.prepare(graph, { threads }), x);
      runners.push({ name: runtime, runner: c.runner });
      row.runtimes[runtime] = { info: c.runner.info, coldMs: c.coldMs, maxAbsDiffVsPlain: maxAbsDiff(baseline, c.output) };
      const timed = await interleave(runners.map((r) => ({ name: r.name, run: () => r.runner.run(x) })), { warmup: 2, rounds });
      if (timed.failed) row.runtimes[timed.failed.name].error = String(timed.failed.error?.message ?? timed.failed.error).split('\n')[0];
      for (const [name, lat] of Object.entries(timed.latency)) row.runtimes[name].warm = lat;
      return row;
    } finally {
      for (const r of runners) r.runner.dispose();
    }
  }
}

/** GFLOP/s of the 3x3 convolutions alone (the harness's per-layer medians), and the share of the peak of the build that ran. */
function conv3x3Efficiency(graph, report, peaks) {
  const rows = costTable(optimizeGraph(graph).graph, { expand: true }).layers;
  const names = new Set(rows.filter((r) => r.type === 'conv2d' && r.kernel === 3).map((r) => r.name));
  let flops = 0;
  let ms = 0;
  for (const l of report.layers) {
    if (!names.has(l.name)) continue;
    flops += l.flops;
    ms += l.ms;
  }
  const roof = modelRoof('wasm', report.info, peaks);
  const gflops = flops / (ms * 1e6);
  return { gflops, ms, percentOfPeak: (100 * gflops) / roof.gflops, peak: roof.label };
}

// Parent: webconv alone, then each peer alternating with webconv, each in its own process.
const env = await environment();
const script = fileURLToPath(import.meta.url);
const byModel = new Map(models.map((m) => [m, { alone: undefined, pairs: {} }]));
let peaks;
for (const runtime of ['webconv', ...peerNames]) {
  const args = [...process.execArgv, script, '--only', runtime, '--models', values.models, '--time', values.time, '--threads', values.threads, '--rounds', String(rounds)];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  const lines = r.stdout.split('\n').filter((l) => l.startsWith('RESULT '));
  const put = (model, row) => (runtime === 'webconv' ? (byModel.get(model).alone = row) : (byModel.get(model).pairs[runtime] = row));
  if (r.status !== 0 || lines.length === 0) {
    for (const m of models) put(m, { error: (r.stderr || `exit ${r.status}`).trim().split('\n').pop() });
    continue;
  }
  for (const l of lines) {
    const { model, peaks: p, row } = JSON.parse(l.slice(7));
    peaks ??= p ?? undefined;
    put(model, row);
  }
}
console.log(`machine: ${env.cpu}, ${env.cores} cores, Node ${env.node}; threads ${threads}`);
if (peaks) {
  console.log(
    `wasm SIMD peak (measured): ${peaks.wasmSimdGflops.toFixed(1)} GFLOP/s plain` +
      (peaks.wasmRelaxedSimdGflops ? `, ${peaks.wasmRelaxedSimdGflops.toFixed(1)} relaxed` : '') +
      `; bandwidth ${peaks.wasmBandwidthGBs.toFixed(1)} GB/s`,
  );
}
console.log(`each peer alternating with webconv in one process: 2 warm-up + ${rounds} timed runs each; ratio = peer / webconv (above 1: webconv faster)`);
const results = [];
for (const model of models) {
  const flops = costTable(buildModel(model)).totals.flops;
  const { alone, pairs } = byModel.get(model);
  results.push({ model, gflopPerImage: flops / 1e9, alone, pairs });
  print(model, flops, alone, pairs);
}

function print(model, flops, alone, pairs) {
  console.log(`\n${model}: ${(flops / 1e9).toFixed(3)} GFLOP per image`);
  if (alone?.error) console.log(`  webconv alone: error: ${alone.error}`);
  for (const [build, r] of Object.entries(alone && !alone.error ? alone : {})) {
    console.log(`  webconv ${build} alone: cold ${r.coldMs.toFixed(1)} ms, median ${r.warm.medianMs.toFixed(2)} ms, ${r.gflops.toFixed(1)} GFLOP/s` + (r.conv3x3 ? `; 3x3 convs ${r.conv3x3.gflops.toFixed(1)} GFLOP/s = ${r.conv3x3.percentOfPeak.toFixed(0)}% of the ${r.conv3x3.peak}` : ''));
  }
  console.log('  pairing     runtime               cold ms    min ms  median ms   peer/this (min, median)   max|diff|');
  for (const [peerName, row] of Object.entries(pairs)) {
    if (row.error) {
      console.log(`  ${peerName.padEnd(10)}  error: ${row.error}`);
      continue;
    }
    const theirs = row.runtimes[peerName]?.warm;
    for (const [name, r] of Object.entries(row.runtimes)) {
      const w = r.warm;
      const ratio = w && theirs && name !== peerName ? `${(theirs.minMs / w.minMs).toFixed(2)}x, ${(theirs.medianMs / w.medianMs).toFixed(2)}x` : '';
      console.log(
        `  ${peerName.padEnd(10)}  ${name.padEnd(18)} ${r.coldMs.toFixed(1).padStart(9)} ${w ? w.minMs.toFixed(2).padStart(9) : '    error'} ${w ? w.medianMs.toFixed(2).padStart(10) : ''} ${ratio.padStart(25)} ${r.maxAbsDiffVsPlain.toExponential(1).padStart(11)}${r.error ? '  ' + r.error : ''}`,
      );
    }
  }
}

if (values.json) {
  writeFileSync(values.json, JSON.stringify({ tool: 'webconv', version: await packageVersion(), date: new Date().toISOString(), environment: env, threads, rounds, peaks, results }, null, 2));
}

#!/usr/bin/env node
// webconv's wasm backend beside onnxruntime-web (wasm) and TensorFlow.js's wasm backend
// (XNNPACK), same models, same weights, same thread count, in one run: cold (compile + first
// run) and warm (min / median / p90 over tinybench samples) latency, GFLOP/s from the cost
// model, and the ratios. Also the device's wasm SIMD peak, measured here, and how close
// VGG-16's 3x3 convolutions come to it.
//
//   node --experimental-wasm-relaxed-simd bench/wasm.bench.mjs [--models a,b] [--json out.json]
//        [--compare ort-web,tfjs-wasm] [--time ms] [--threads n]
// (Node 20 needs the flag for relaxed SIMD; without it only the plain SIMD build runs.)
//
// The measuring is the harness's (src/bench/harness.ts, as `webconv bench` does it):
// benchmarkModel for webconv's builds, measureRunner for the peers (src/bench/peers.ts),
// measurePeaks for the peaks. What is this script's own: which runtimes, each in a child
// process of its own, one after the other (in one process, onnxruntime-web ran 2.3x slower
// once TensorFlow.js's wasm backend had initialised, seen here, and no runtime should pay for
// another's), every output diffed against webconv's plain-SIMD one, and the table.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildModel, costTable, getBackend, optimizeGraph } from '../dist/index.js';
import { benchInput, benchmarkModel, environment, maxAbsDiff, measurePeaks, measureRunner, packageVersion } from '../dist/bench/harness.js';
import { modelRoof } from '../dist/bench/report.js';

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
const timeMs = Number(values.time);
const peerNames = values.compare.split(',').filter(Boolean);
const models = values.models.split(',');

if (values.only) {
  // Child: one runtime, every model; one JSON line per model on stdout.
  const runtime = values.only;
  const { PEERS } = await import('../dist/bench/peers.js');
  const webconv = runtime.startsWith('webconv');
  const peer = webconv ? undefined : PEERS[runtime];
  if (!webconv && !peer) throw new Error(`unknown peer '${runtime}'`);
  const peaks = webconv ? await measurePeaks() : undefined;
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
        const r = await benchmarkModel(graph, peaks, { backend: 'wasm', threads, timeMs, compile: { relaxedSimd: runtime.endsWith('relaxed') }, reference: baseline });
        row = { runtime, info: r.info, coldMs: r.cold.compileMs + r.cold.firstRunMs, warm: r.warm, gflops: r.totals.achievedGflops, maxAbsDiffVsWebconv: r.maxAbsDiff };
        if (model.startsWith('vgg')) row.conv3x3 = conv3x3Efficiency(graph, r, peaks);
      } else {
        const m = await measureRunner(() => peer.prepare(graph, { threads }), x, { timeMs });
        row = { runtime, info: m.info, coldMs: m.coldMs, warm: m.warm, gflops: costTable(graph).totals.flops / (m.warm.medianMs * 1e6), maxAbsDiffVsWebconv: maxAbsDiff(baseline, m.output) };
      }
    } catch (e) {
      row = { runtime, error: String(e.message ?? e).split('\n')[0] };
    }
    console.log('RESULT ' + JSON.stringify({ model, peaks, row }));
  }
  process.exit(0);
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

// Parent: run each runtime in its own process, then print and save the side-by-side table.
const env = await environment();
const script = fileURLToPath(import.meta.url);
const runtimes = ['webconv-wasm', ...(env.wasmFeatures.includes('relaxed-simd') ? ['webconv-wasm-relaxed'] : []), ...peerNames];
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
    peaks ??= p ?? undefined;
    byModel.get(model).push(row);
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
const results = [];
for (const model of models) {
  const flops = costTable(buildModel(model)).totals.flops;
  results.push({ model, gflopPerImage: flops / 1e9, rows: byModel.get(model) });
  print(model, flops, byModel.get(model));
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
    const ratio = ours ? (r.warm.medianMs / ours.warm.medianMs).toFixed(2) + 'x' : '';
    const w = r.warm;
    console.log(
      `${r.runtime.padEnd(22)} ${r.coldMs.toFixed(1).padStart(8)} ${w.minMs.toFixed(1).padStart(10)} ${w.medianMs.toFixed(1).padStart(8)} ${w.p90Ms.toFixed(1).padStart(8)} ${r.gflops.toFixed(1).padStart(9)} ${ratio.padStart(12)} ${r.maxAbsDiffVsWebconv.toExponential(1).padStart(11)}`,
    );
    if (r.conv3x3) console.log(`  3x3 convs: ${r.conv3x3.gflops.toFixed(1)} GFLOP/s = ${r.conv3x3.percentOfPeak.toFixed(0)}% of the ${r.conv3x3.peak}`);
  }
}

if (values.json) {
  writeFileSync(values.json, JSON.stringify({ tool: 'webconv', version: await packageVersion(), date: new Date().toISOString(), environment: env, threads, peaks, results }, null, 2));
}

#!/usr/bin/env node
// webconv's webgpu backend beside onnxruntime-web's WebGPU execution provider, in Node, in one
// process, on ONE GPUDevice: webconv acquires its device (Dawn from the npm package `webgpu`,
// on SwiftShader when there is no GPU, see src/backends/webgpu/device.ts) and hands the same
// GPUDevice to onnxruntime-web through the EP option `{ name: 'webgpu', device }`. Same
// model, same weights (webconv's graph exported to ONNX), same input. Both runtimes run once
// (cold: session creation / compile + first run, ORT first; their outputs are compared),
// then `--warmup` more runs each, then `--runs` timed runs each, alternating (the order flips
// every round). Prints the median latencies and the ratio ort / webconv (> 1: webconv is
// faster) and writes JSON to bench/results/webgpu-<date>.json (or --json).
// The measuring is the harness's (src/bench/harness.ts): coldStart, interleave's
// alternating rounds and latency figures, the peer ortWebgpu (src/bench/peers.ts); this
// script adds the shared device, the Node shims below, the output check and the table.
//
//   node bench/webgpu.bench.mjs [--models resnet50,mobilenetv2] [--runs 3] [--warmup 1] [--json out.json]
//
// Two things are needed for onnxruntime-web's WebGPU EP in Node (it is made for browsers):
// - globals: `navigator.gpu` (checked by ORT before it starts the EP) and `GPUDevice` (the
//   `device` option must be `instanceof GPUDevice`): Dawn's, from the `webgpu` package.
// - ORT's wasm heap is a shared WebAssembly.Memory and it uploads with
//   `queue.writeBuffer(buffer, offset, <view on that SharedArrayBuffer>, ...)`. Dawn's Node
//   binding refuses SharedArrayBuffer views ("Error: Invalid argument" from ORT's session
//   creation; a plain SharedArrayBuffer view even segfaults Node, seen here with webgpu 0.6.2),
//   where browsers accept them. So GPUQueue.writeBuffer is wrapped to copy such views into an
//   ordinary buffer first. webconv never passes shared views, so this only touches ORT's
//   uploads (weights at session creation, the input on every run: 0.6 MB, a fraction of a ms).
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildModel, costTable, getBackend } from '../dist/index.js';
import { acquireDevice } from '../dist/backends/webgpu/device.js';
import { benchInput, coldStart, environment, interleave, maxAbsDiff, packageVersion } from '../dist/bench/harness.js';
import { ortWebgpu } from '../dist/bench/peers.js';

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: 'resnet50,mobilenetv2' },
    runs: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
    json: { type: 'string' },
  },
});
const models = values.models.split(',').filter(Boolean);
const runs = Math.max(1, Number(values.runs));
const warmup = Math.max(0, Number(values.warmup));
const started = performance.now();
const env = await environment(); // before the shims below: they put Dawn's navigator.gpu in place

// One device for both runtimes.
const gpu = await acquireDevice();
const device = gpu.device;
const info = device.adapterInfo ?? {};
const adapterText = [info.vendor, info.architecture, info.description && `(${info.description})`].filter(Boolean).join(' ');

// onnxruntime-web in Node: the browser globals it looks for, from Dawn (see the header).
const dawn = await import('webgpu');
for (const [k, v] of Object.entries(dawn.globals)) if (!(k in globalThis)) globalThis[k] = v;
if (!globalThis.navigator?.gpu) {
  Object.defineProperty(globalThis, 'navigator', { value: { ...(globalThis.navigator ?? {}), gpu: dawn.create([]) }, configurable: true, writable: true });
}
const queueProto = Object.getPrototypeOf(device.queue);
if (!queueProto.__webconvUnshared) {
  const writeBuffer = queueProto.writeBuffer;
  queueProto.writeBuffer = function (buffer, offset, data, dataOffset = 0, size) {
    if (ArrayBuffer.isView(data) && data.buffer instanceof SharedArrayBuffer) {
      const bpe = data.BYTES_PER_ELEMENT ?? 1;
      const bytes = (size ?? data.byteLength / bpe - dataOffset) * bpe;
      const copy = new Uint8Array(data.buffer, data.byteOffset + dataOffset * bpe, bytes).slice();
      return writeBuffer.call(this, buffer, offset, copy, 0, bytes);
    }
    return size === undefined ? writeBuffer.call(this, buffer, offset, data, dataOffset) : writeBuffer.call(this, buffer, offset, data, dataOffset, size);
  };
  queueProto.__webconvUnshared = true;
}
const ortPeer = ortWebgpu(device);

function firstLine(e) {
  return String(e?.message ?? e).split('\n')[0];
}

const argmax = (a) => a.reduce((best, v, i) => (v > a[best] ? i : best), 0);
const log = (msg) => console.error(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${msg}`);

const results = [];
for (const model of models) {
  const graph = buildModel(model, { batch: 1 });
  const x = benchInput(graph);
  const row = { model, gflopPerImage: costTable(graph).totals.flops / 1e9 };

  // onnxruntime-web, WebGPU EP, on the same device.
  // Its first session creation also initialises ORT's wasm (~20 MB): seen here anywhere from
  // ~5 s to ~90 s (the main thread waiting on V8's background tasks), so the first model's
  // ORT cold time is not comparable to webconv's; the warm medians are what count.
  let theirs;
  try {
    log(`${model}: ort-web session + first run`);
    theirs = await coldStart(() => ortPeer.prepare(graph, { threads: 1 }), x);
    row.ort = { info: theirs.runner.info, coldMs: theirs.coldMs };
  } catch (e) {
    row.ort = { error: firstLine(e) };
  }

  // webconv
  log(`${model}: webconv compile + first run`);
  let exe;
  const ours = await coldStart(async () => {
    exe = await getBackend('webgpu').compile(graph, { gpu });
    return { info: '', run: async (v) => (await exe.run(v))[graph.outputs[0]].data, dispose: () => exe.dispose() };
  }, x);
  row.webconv = { info: exe.info(), coldMs: ours.coldMs };

  if (theirs) {
    const a = ours.output;
    const b = theirs.output;
    row.check = { maxAbsDiff: maxAbsDiff(a, b), maxAbsOutput: a.reduce((m, v) => Math.max(m, Math.abs(v)), 0), top1Webconv: argmax(a), top1Ort: argmax(b), top1Agrees: argmax(a) === argmax(b) };
  }

  // Warm-up, then alternate timed runs.
  const runners = [{ name: 'webconv', run: () => ours.runner.run(x) }, ...(theirs ? [{ name: 'ort', run: () => theirs.runner.run(x) }] : [])];
  const timed = await interleave(runners, { warmup, rounds: runs, onRound: (i) => log(`${model}: round ${i + 1}/${runs}`) });
  // A failure in the timed loop (the device lost, say) is reported, not thrown.
  if (timed.failed) row[timed.failed.name].error = firstLine(timed.failed.error);
  if (timed.latency.webconv) row.webconv.warm = timed.latency.webconv;
  row.webconv.gpuMs = exe.profile().reduce((s, p) => s + p.ms, 0); // timestamp queries, last run
  if (timed.latency.ort) row.ort.warm = timed.latency.ort;
  if (row.webconv.warm && row.ort.warm) {
    row.ratio = row.ort.warm.medianMs / row.webconv.warm.medianMs;
    row.ratioOfMinimums = row.ort.warm.minMs / row.webconv.warm.minMs;
  }
  ours.runner.dispose();
  theirs?.runner.dispose();
  results.push(row);
}

const adapter = results.find((r) => r.webconv?.info)?.webconv.info.adapter ?? gpu.adapterName;
console.log(`machine: ${env.cpu}, ${env.cores} cores, Node ${env.node}`);
const ortInfo = results.find((r) => r.ort?.info)?.ort.info ?? 'onnxruntime-web';
console.log(`adapter: ${adapter}: ${adapterText}; one GPUDevice shared by webconv and ${ortInfo}`);
console.log(`runs: ${warmup} warm-up + ${runs} timed per runtime, alternating; median ms`);
console.log('');
console.log('model          webconv webgpu   ort-web webgpu   ort/webconv  diff/max|y|  top-1   adapter');
for (const r of results) {
  const w = r.webconv.warm ? r.webconv.warm.medianMs.toFixed(1) : 'error';
  const o = r.ort.warm ? r.ort.warm.medianMs.toFixed(1) : 'error';
  const ratio = r.ratio ? `${r.ratio.toFixed(2)}x` : '-';
  // Relative to the largest output: random weights give logits in the thousands.
  const diff = r.check ? (r.check.maxAbsDiff / r.check.maxAbsOutput).toExponential(1) : '-';
  const top1 = r.check ? (r.check.top1Agrees ? 'same' : `${r.check.top1Webconv}/${r.check.top1Ort}`) : '-';
  console.log(`${r.model.padEnd(14)} ${w.padStart(14)} ${o.padStart(16)} ${ratio.padStart(13)} ${diff.padStart(11)} ${top1.padStart(6)}   ${adapter}`);
}
for (const r of results) {
  if (r.webconv.error) console.log(`${r.model}: webconv error: ${r.webconv.error}`);
  if (r.ort.error) console.log(`${r.model}: ort-web webgpu error: ${r.ort.error}`);
}
console.log('');
for (const r of results) {
  const f = (s) => (s ? `min ${s.minMs.toFixed(1)} p90 ${s.p90Ms.toFixed(1)}` : '-');
  console.log(
    `${r.model}: cold (compile/session + first run) webconv ${r.webconv.coldMs.toFixed(0)} ms, ort ${r.ort.coldMs ? r.ort.coldMs.toFixed(0) : '-'} ms; ` +
      `warm webconv ${f(r.webconv.warm)}, ort ${f(r.ort.warm)}; webconv GPU timestamps sum ${r.webconv.gpuMs.toFixed(1)} ms`,
  );
}
const totalS = (performance.now() - started) / 1000;
console.log(`total ${totalS.toFixed(0)} s`);

const date = new Date().toISOString();
const out = values.json ?? join(dirname(fileURLToPath(import.meta.url)), 'results', `webgpu-${date.slice(0, 10)}.json`);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  JSON.stringify({ tool: 'webconv', version: await packageVersion(), date, environment: env, adapter, adapterInfo: { vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description }, sharedDevice: true, warmup, runs, totalSeconds: totalS, results }, null, 2) + '\n',
);
console.log(`wrote ${out}`);
gpu.destroy();

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
import { writeFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import os from 'node:os';
import { parseArgs } from 'node:util';
import '../dist/backends/register-all.js';
import { getBackend } from '../dist/backends/registry.js';
import { acquireDevice } from '../dist/backends/webgpu/device.js';
import { buildModel, costTable, exportOnnx } from '../dist/index.js';
import { mulberry32 } from '../dist/graph/weight-init.js';

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

let ort;
let ortLoadError;
try {
  ort = await import('onnxruntime-web/webgpu');
  ort.env.logLevel = 'error';
  ort.env.wasm.numThreads = 1; // its default on this 2-core machine too; the work is on the GPU
} catch (e) {
  ortLoadError = firstLine(e);
}

function firstLine(e) {
  return String(e?.message ?? e).split('\n')[0];
}

function input(graph) {
  const next = mulberry32(3);
  return Float32Array.from({ length: graph.inputs[0].shape.reduce((a, b) => a * b, 1) }, () => next() * 2 - 1);
}

const argmax = (a) => a.reduce((best, v, i) => (v > a[best] ? i : best), 0);
const stats = (samples) => {
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return { median: s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2, min: s[0], max: s[s.length - 1], samples: samples.map((v) => +v.toFixed(1)) };
};
const log = (msg) => console.error(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${msg}`);

const results = [];
for (const model of models) {
  const graph = buildModel(model, { batch: 1 });
  const x = input(graph);
  const inName = graph.inputs[0].name;
  const outName = graph.outputs[0];
  const row = { model, gflopPerImage: costTable(graph).totals.flops / 1e9 };

  // onnxruntime-web, WebGPU EP, on the same device.
  // Its first session creation also initialises ORT's wasm (~20 MB): seen here anywhere from
  // ~5 s to ~90 s (the main thread waiting on V8's background tasks), so the first model's
  // ORT cold time is not comparable to webconv's; the warm medians are what count.
  let session;
  let theirs;
  let ortRun;
  if (ort) {
    try {
      log(`${model}: ort-web session + first run`);
      const t = performance.now();
      session = await ort.InferenceSession.create(exportOnnx(graph), { executionProviders: [{ name: 'webgpu', device }], graphOptimizationLevel: 'all' });
      const feeds = { [inName]: new ort.Tensor('float32', x, [...graph.inputs[0].shape]) };
      ortRun = async () => (await session.run(feeds))[outName].data;
      theirs = await ortRun();
      row.ort = { info: `onnxruntime-web ${ort.env.versions?.web ?? ''} (webgpu EP, same GPUDevice as webconv)`, coldMs: performance.now() - t };
    } catch (e) {
      row.ort = { error: firstLine(e) };
      session?.release?.();
      session = undefined;
      ortRun = undefined;
    }
  } else {
    row.ort = { error: `onnxruntime-web/webgpu did not load: ${ortLoadError}` };
  }

  // webconv
  log(`${model}: webconv compile + first run`);
  const t = performance.now();
  const exe = await getBackend('webgpu').compile(graph, { gpu });
  const webconvRun = async () => (await exe.run(x))[outName].data;
  const ours = await webconvRun();
  row.webconv = { info: exe.info(), coldMs: performance.now() - t };

  if (theirs) {
    let maxDiff = 0;
    for (let i = 0; i < ours.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ours[i] - theirs[i]));
    const maxAbsOutput = ours.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    row.check = { maxAbsDiff: maxDiff, maxAbsOutput, top1Webconv: argmax(ours), top1Ort: argmax(theirs), top1Agrees: argmax(ours) === argmax(theirs) };
  }

  // Warm-up, then alternate timed runs.
  const times = { webconv: [], ort: [] };
  const timed = async (name, fn) => {
    const t0 = performance.now();
    await fn();
    times[name].push(performance.now() - t0);
  };
  const runners = [['webconv', webconvRun], ...(ortRun ? [['ort', ortRun]] : [])];
  try {
    for (let i = 0; i < warmup; i++) for (const [, fn] of runners) await fn();
    for (let i = 0; i < runs; i++) {
      log(`${model}: round ${i + 1}/${runs}`);
      for (const [name, fn] of i % 2 ? [...runners].reverse() : runners) await timed(name, fn);
    }
  } catch (e) {
    // A failure in the timed loop (the device lost, say) is reported, not thrown.
    (times.ort.length < times.webconv.length ? row.ort : row.webconv).error = firstLine(e);
  }
  if (times.webconv.length) row.webconv.warmMs = stats(times.webconv);
  row.webconv.gpuMs = exe.profile().reduce((s, p) => s + p.ms, 0); // timestamp queries, last run
  if (times.ort.length) row.ort.warmMs = stats(times.ort);
  if (row.webconv.warmMs && row.ort.warmMs) row.ratio = row.ort.warmMs.median / row.webconv.warmMs.median;
  exe.dispose();
  await session?.release();
  results.push(row);
}

const machine = { cpu: os.cpus()[0]?.model, cores: os.cpus().length, node: process.version, platform: `${os.platform()} ${os.arch()}` };
const adapter = results.find((r) => r.webconv?.info)?.webconv.info.adapter ?? gpu.adapterName;
console.log(`machine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}`);
console.log(`adapter: ${adapter}: ${adapterText}; one GPUDevice shared by webconv and onnxruntime-web ${ort?.env.versions?.web ?? ''}`);
console.log(`runs: ${warmup} warm-up + ${runs} timed per runtime, alternating; median ms`);
console.log('');
console.log('model          webconv webgpu   ort-web webgpu   ort/webconv  diff/max|y|  top-1   adapter');
for (const r of results) {
  const w = r.webconv.warmMs ? r.webconv.warmMs.median.toFixed(1) : 'error';
  const o = r.ort.warmMs ? r.ort.warmMs.median.toFixed(1) : 'error';
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
  const f = (s) => (s ? `min ${s.min.toFixed(1)} max ${s.max.toFixed(1)}` : '-');
  console.log(
    `${r.model}: cold (compile/session + first run) webconv ${r.webconv.coldMs.toFixed(0)} ms, ort ${r.ort.coldMs ? r.ort.coldMs.toFixed(0) : '-'} ms; ` +
      `warm webconv ${f(r.webconv.warmMs)}, ort ${f(r.ort.warmMs)}; webconv GPU timestamps sum ${r.webconv.gpuMs.toFixed(1)} ms`,
  );
}
const totalS = (performance.now() - started) / 1000;
console.log(`total ${totalS.toFixed(0)} s`);

const date = new Date().toISOString();
const out = values.json ?? join(dirname(fileURLToPath(import.meta.url)), 'results', `webgpu-${date.slice(0, 10)}.json`);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify({ date, machine, adapter, adapterInfo: { vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description }, sharedDevice: true, warmup, runs, totalSeconds: totalS, results }, null, 2) + '\n');
console.log(`wrote ${out}`);
gpu.destroy();

#!/usr/bin/env node
// int8 against float32 (issue 16): torchvision's ResNet-18 and MobileNetV2 exported by PyTorch
// (scripts/export_torch_models.py `<model>@224`, random weights under a fixed seed) and quantized
// by onnxruntime's own tool (scripts/quantize_onnx.py: quantize_static, QDQ, per-channel int8
// weights, uint8 activations, MinMax over 8 seeded standard-normal images), then in ONE process,
// one thread, plain SIMD (relaxed off: the target is plain SIMD):
//   webconv int8       the int8 file, convs on integers (qconv2d)
//   webconv qdq-float  the same file run in float between its Q/DQ pairs (compile option int8: false)
//   webconv f32        the float file
//   ort-web int8       onnxruntime-web (wasm) on the int8 file (its QDQ fusion to QLinearConv)
//   ort-web f32        onnxruntime-web on the float file
// `--warmup` untimed runs of each, then `--rounds` rounds of one timed run each, alternating
// and flipping the order every round (the harness's `interleave`); min and median; ratios of
// min times. Outputs: webconv int8 against onnxruntime (Python, CPU) on the same int8 file.
//
// With `--backend webgpu`: webconv's WebGPU backend (kernels/qconv2d.wgsl on dot4I8Packed where
// the adapter has it; SwiftShader here, a CPU) on the int8 file, the same file in float between
// its Q/DQ pairs, and the float file; no onnxruntime-web runs; results to int8-webgpu.json.
//
//   node bench/int8.bench.mjs [--models resnet18,mobilenet_v2] [--rounds 12] [--warmup 2] [--backend wasm|webgpu] [--json out.json]
// Needs Python with torch + torchvision (apt-get install python3-torchvision) and the
// onnxruntime venv scripts/setup-system.mjs makes (.cache/onnxruntime-venv).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { costTable, encodeNpy, getBackend, importOnnx, parseNpy } from '../dist/index.js';
import { environment, interleave, maxAbsDiff, packageVersion } from '../dist/bench/harness.js';

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: 'resnet18,mobilenet_v2' },
    rounds: { type: 'string', default: '12' },
    warmup: { type: 'string', default: '2' },
    backend: { type: 'string', default: 'wasm' },
    json: { type: 'string' },
  },
});
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const models = values.models.split(',').filter(Boolean);
const rounds = Math.max(1, Number(values.rounds));
const warmup = Math.max(0, Number(values.warmup));
const started = performance.now();
const log = (msg) => console.error(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${msg}`);
const ortPython = join(root, '.cache/onnxruntime-venv/bin/python');
if (!existsSync(ortPython)) throw new Error(`${ortPython} is missing: run node scripts/setup-system.mjs`);

const dir = join(tmpdir(), 'webconv-bench-cache', 'int8');
mkdirSync(dir, { recursive: true });
const python = (exe, args) => {
  const r = spawnSync(exe, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${exe} ${args.join(' ')} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr.split('\n').filter((l) => !l.includes('CleanUnusedInitializers')).join('\n')}`);
  return r.stdout.trim();
};
// Seeded standard normals (Box-Muller), as the tests' calibration.
let seed = 20261202;
const uniform = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
const normals = (n) => Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()));

const env = await environment();
const ort = await import('onnxruntime-web');
ort.env.wasm.numThreads = 1;
ort.env.logLevel = 'error';
const gpu = values.backend === 'webgpu';
if (!gpu && values.backend !== 'wasm') throw new Error(`--backend must be wasm or webgpu, found '${values.backend}'`);
const backend = getBackend(values.backend);
const results = [];
let adapter;
for (const model of models) {
  const name = `${model}@224`;
  if (!existsSync(join(dir, `${name}.onnx`))) {
    log(`${model}: exporting with PyTorch`);
    python('/usr/bin/python3', [join(root, 'scripts/export_torch_models.py'), dir, name]);
  }
  const floatFile = join(dir, `${name}.onnx`);
  const int8File = join(dir, `${name}.int8.onnx`);
  const x = normals(3 * 224 * 224);
  if (!existsSync(int8File)) {
    log(`${model}: quantizing with onnxruntime's quantize_static`);
    writeFileSync(join(dir, 'calib.npy'), encodeNpy([8, 3, 224, 224], normals(8 * 3 * 224 * 224)));
    log(python(ortPython, [join(root, 'scripts/quantize_onnx.py'), 'quantize', '--model', floatFile, '--calibration', join(dir, 'calib.npy'), '--out', int8File, '--per-channel']));
  }
  writeFileSync(join(dir, 'x.npy'), encodeNpy([1, 3, 224, 224], x));
  python(ortPython, [join(root, 'scripts/quantize_onnx.py'), 'run', '--model', int8File, '--input', join(dir, 'x.npy'), '--out', join(dir, 'y.npy')]);
  const expected = parseNpy(readFileSync(join(dir, 'y.npy'))).data;
  const floatBytes = new Uint8Array(readFileSync(floatFile));
  const int8Bytes = new Uint8Array(readFileSync(int8File));

  const runners = [];
  const webconv = async (label, bytes, options) => {
    const exe = await backend.compile(importOnnx(bytes), { ...(gpu ? {} : { threads: 1, relaxedSimd: false }), ...options });
    adapter ??= exe.info().adapter;
    const run = async () => (await exe.run(x))[exe.outputs[0].name].data;
    runners.push({ name: label, run, dispose: () => exe.dispose(), output: await run() });
  };
  const onnxruntime = async (label, bytes) => {
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
    const input = session.inputNames[0];
    const run = async () => (await session.run({ [input]: new ort.Tensor('float32', x, [1, 3, 224, 224]) }))[session.outputNames[0]].data;
    runners.push({ name: label, run, dispose: () => void session.release(), output: await run() });
  };
  log(`${model}: compiling`);
  await webconv('webconv int8', int8Bytes, {});
  await webconv('webconv qdq-float', int8Bytes, { int8: false });
  await webconv('webconv f32', floatBytes, {});
  if (!gpu) {
    await onnxruntime('ort-web int8', int8Bytes);
    await onnxruntime('ort-web f32', floatBytes);
  }
  const timed = await interleave(runners, { warmup, rounds, onRound: (k) => k % 4 === 0 && log(`${model}: round ${k + 1}/${rounds}`) });
  if (timed.failed) throw timed.failed.error;
  const peak = expected.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const lat = (n) => timed.latency[n];
  const ratio = (a, b) => ({ min: lat(b).minMs / lat(a).minMs, median: lat(b).medianMs / lat(a).medianMs });
  results.push({
    model, file: `${name}.int8.onnx`, int8MB: int8Bytes.length / 1e6, floatMB: floatBytes.length / 1e6,
    gflopPerImage: costTable(importOnnx(floatBytes)).totals.flops / 1e9,
    latency: timed.latency,
    int8OverF32: ratio('webconv int8', 'webconv f32'),
    int8OverQdqFloat: ratio('webconv int8', 'webconv qdq-float'),
    ...(gpu ? {} : { ortInt8OverWebconvInt8: ratio('webconv int8', 'ort-web int8') }),
    errorVsOnnxruntime: Object.fromEntries(runners.filter((r) => r.name.includes('int8') || r.name.includes('qdq')).map((r) => [r.name, maxAbsDiff(r.output, expected) / peak])),
  });
  for (const r of runners) r.dispose();
}

console.log(gpu
  ? `machine: ${env.cpu}, ${env.cores} cores, Node ${env.node}; webgpu on ${adapter}`
  : `machine: ${env.cpu}, ${env.cores} cores, Node ${env.node}; 1 thread, plain SIMD; onnxruntime-web ${ort.env.versions?.web ?? ''} (wasm)`);
console.log(`224x224, batch 1; ${warmup} warm-up + ${rounds} timed runs each, interleaved in one process; ratios of min (and median) times`);
for (const r of results) {
  console.log('');
  console.log(`${r.model}: ${r.gflopPerImage.toFixed(2)} GFLOP; files ${r.floatMB.toFixed(1)} MB float, ${r.int8MB.toFixed(1)} MB int8`);
  for (const [name, l] of Object.entries(r.latency)) {
    const err = r.errorVsOnnxruntime[name];
    console.log(`  ${name.padEnd(18)} min ${l.minMs.toFixed(1).padStart(7)} ms  median ${l.medianMs.toFixed(1).padStart(7)} ms${err !== undefined ? `  max |y - onnxruntime int8| / max |y| ${err.toExponential(1)}` : ''}`);
  }
  const f = (q) => `${q.min.toFixed(2)}x (median ${q.median.toFixed(2)}x)`;
  console.log(`  webconv int8 vs webconv f32: ${f(r.int8OverF32)}; vs the file in float: ${f(r.int8OverQdqFloat)}${r.ortInt8OverWebconvInt8 ? `; vs ort-web int8: ${f(r.ortInt8OverWebconvInt8)}` : ''}`);
}
const out = values.json ?? join(here, 'results', gpu ? 'int8-webgpu.json' : 'int8.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify({ tool: 'webconv', version: await packageVersion(), date: new Date().toISOString(), environment: env, backend: values.backend, ...(adapter ? { adapter } : {}), warmup, rounds, results }, null, 2) + '\n');
console.log(`wrote ${out}`);

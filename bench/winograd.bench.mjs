#!/usr/bin/env node
// Winograd F(4x4, 3x3) (assembly/winograd.ts) against the direct GEMM path
// (assembly/conv2d.ts) on the 3x3 stride-1 layers of ResNet-18/50 and VGG-16, in one
// process: each layer is one conv2d + bias + relu (fused into the epilogue, as in the
// models), compiled twice on the wasm backend of the working tree's build (dist/, from `npm
// run build`), with `winograd: true` and `winograd: false`, one thread, batch 1; after
// warm-up the two are run alternately, A B A B ..., the order flipped every round. Reports
// per layer and build (plain SIMD, and relaxed SIMD where the engine has it) the min and
// median time of each, the ratio direct / Winograd of the minimums (above 1: Winograd is
// faster) and the median of the rounds' paired ratios, effective GFLOP/s (the lecture's FLOPs
// / time) and the multiply-accumulates each path executed (the kernels' counters), and the
// largest difference between the two paths' outputs relative to max |output|. It also
// reports which path the backend's shape rule picks (winogradPays). Then whole zoo models
// (224x224, batch 1, one thread) the same way: compiled with `winograd: false` and with the
// default (Winograd where the rule picks it), alternated.
//
//   node --experimental-wasm-relaxed-simd bench/winograd.bench.mjs [--rounds 11]
//        [--layers vgg-64x224,...] [--models resnet18,resnet50,vgg-d | none] [--json bench/results/winograd.json]
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import '../dist/backends/register-all.js';
import { getBackend } from '../dist/backends/registry.js';
import { finalizeGraph } from '../dist/graph/validate.js';
import { supports } from '../dist/backends/wasm/wasm-module.js';
import { winogradPays } from '../dist/backends/wasm/kernels/winograd.js';
import { buildModel, costTable, optimizeGraph } from '../dist/index.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '11' },
    layers: { type: 'string' },
    models: { type: 'string', default: 'resnet18,resnet50,vgg-d' },
    json: { type: 'string', default: 'bench/results/winograd.json' },
  },
});
const rounds = Math.max(5, Number(values.rounds));

/** name, models, input channels, output channels, side (pad 1: output side = input side). */
const LAYERS = [
  ['resnet-64x56', 'resnet18/50 layer1', 64, 64, 56],
  ['resnet-128x28', 'resnet18/50 layer2', 128, 128, 28],
  ['resnet-256x14', 'resnet18/50 layer3', 256, 256, 14],
  ['resnet-512x7', 'resnet18/50 layer4', 512, 512, 7],
  ['vgg-3to64x224', 'vgg16 conv1_1', 3, 64, 224],
  ['vgg-64x224', 'vgg16 conv1_2', 64, 64, 224],
  ['vgg-64to128x112', 'vgg16 conv2_1', 64, 128, 112],
  ['vgg-128x112', 'vgg16 conv2_2', 128, 128, 112],
  ['vgg-256x56', 'vgg16 conv3_2/3', 256, 256, 56],
  ['vgg-512x28', 'vgg16 conv4_2/3', 512, 512, 28],
  ['vgg-512x14', 'vgg16 conv5_x', 512, 512, 14],
  ['small-16to32x28', 'googlenet inception 3a, the "5x5" branch (3x3 in torchvision)', 16, 32, 28],
  ['small-32to64x147', 'inception-v3 Conv2d_2b', 32, 64, 147],
];
const chosen = values.layers ? LAYERS.filter(([name]) => values.layers.split(',').includes(name)) : LAYERS;

function layerGraph(C, M, side) {
  const init = (name, shape, seed) => [name, { name, shape, trainable: true, init: { seed, low: -1 / Math.sqrt(9 * C), high: 1 / Math.sqrt(9 * C) } }];
  return finalizeGraph('layer', [{ name: 'x', shape: [1, C, side, side] }], ['y'], [
    { name: 'c', op: 'conv2d', inputs: ['x', 'w', 'b'], outputs: ['c'], attrs: { kernel: [3, 3], stride: [1, 1], pads: [1, 1, 1, 1], dilation: [1, 1], groups: 1 }, layer: 'c' },
    { name: 'y', op: 'relu', inputs: ['c'], outputs: ['y'], attrs: {}, layer: 'c' },
  ], new Map([init('w', [M, C, 3, 3], 7), init('b', [M], 8)]));
}

const stats = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return { min: s[0], median: s[Math.floor(s.length / 2)] };
};
const r3 = (v) => Math.round(v * 1000) / 1000;

const flavors = supports('relaxed-simd') ? [false, true] : [false];

/** Runs two executables alternately (order flipped every round) after 3 warm-up runs each; min, median and the paired ratios. */
async function alternate(exes, feeds) {
  for (const exe of Object.values(exes)) for (let i = 0; i < 3; i++) await exe.run(feeds);
  const times = { direct: [], winograd: [] };
  const paired = [];
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? ['winograd', 'direct'] : ['direct', 'winograd'];
    const t = {};
    for (const k of order) {
      const t0 = performance.now();
      await exes[k].run(feeds);
      t[k] = performance.now() - t0;
      times[k].push(t[k]);
    }
    paired.push(t.direct / t.winograd);
  }
  const d = stats(times.direct), w = stats(times.winograd);
  return {
    directMs: { min: r3(d.min), median: r3(d.median) }, winogradMs: { min: r3(w.min), median: r3(w.median) },
    speedupOfMin: r3(d.min / w.min), speedupPairedMedian: r3(stats(paired).median),
  };
}

const results = [];
for (const [name, models, C, M, side] of chosen) {
  const g = layerGraph(C, M, side);
  const x = Float32Array.from({ length: C * side * side }, (_, i) => Math.abs(Math.sin(i * 0.7311)));
  const flops = 2 * M * side * side * C * 9;
  for (const relaxedSimd of flavors) {
    const exes = {
      direct: await getBackend('wasm').compile(g, { relaxedSimd, winograd: false }),
      winograd: await getBackend('wasm').compile(g, { relaxedSimd, winograd: 'all' }),
    };
    const outs = {}, macs = {};
    for (const [k, exe] of Object.entries(exes)) {
      macs[k] = (await exe.counters({ x })).get('c');
      for (let i = 0; i < 3; i++) outs[k] = (await exe.run({ x })).y.data;
    }
    let err = 0, mx = 0;
    for (let i = 0; i < outs.direct.length; i++) {
      err = Math.max(err, Math.abs(outs.direct[i] - outs.winograd[i]));
      mx = Math.max(mx, Math.abs(outs.direct[i]));
    }
    const times = { direct: [], winograd: [] };
    const paired = [];
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 ? ['winograd', 'direct'] : ['direct', 'winograd'];
      const t = {};
      for (const k of order) {
        const t0 = performance.now();
        await exes[k].run({ x });
        t[k] = performance.now() - t0;
        times[k].push(t[k]);
      }
      paired.push(t.direct / t.winograd);
    }
    for (const exe of Object.values(exes)) exe.dispose();
    const d = stats(times.direct), w = stats(times.winograd);
    const row = {
      layer: name, models, c: C, m: M, side, build: relaxedSimd ? 'relaxed-simd' : 'simd', rounds,
      directMs: { min: r3(d.min), median: r3(d.median) }, winogradMs: { min: r3(w.min), median: r3(w.median) },
      speedupOfMin: r3(d.min / w.min), speedupPairedMedian: r3(stats(paired).median),
      effectiveGflops: { direct: r3(flops / d.min / 1e6), winograd: r3(flops / w.min / 1e6) },
      executedMacs: macs, lectureMacs: flops / 2,
      maxDiffRelative: err / mx, chosenByShape: winogradPays({ C, H: side, W: side, M, OH: side, OW: side }) ? 'winograd' : 'direct',
    };
    results.push(row);
    console.log(`${name.padEnd(16)} ${row.build.padEnd(12)} direct ${d.min.toFixed(2)}/${d.median.toFixed(2)} ms  winograd ${w.min.toFixed(2)}/${w.median.toFixed(2)} ms  x${row.speedupOfMin} (paired median x${row.speedupPairedMedian})  eff. ${row.effectiveGflops.direct} -> ${row.effectiveGflops.winograd} GFLOP/s  diff ${err / mx < 1e-9 ? 0 : (err / mx).toExponential(1)}  rule: ${row.chosenByShape}`);
  }
}
const models = [];
for (const name of values.models === 'none' ? [] : values.models.split(',')) {
  const g = buildModel(name, { height: 224, width: 224 });
  const x = Float32Array.from({ length: g.inputs[0].shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 0.37));
  const table = costTable(optimizeGraph(g).graph);
  const flops = table.totals.flops;
  const executed = 2 * table.layers.reduce((a, r) => a + (r.winogradMacs ?? r.macs), 0);
  for (const relaxedSimd of flavors) {
    const exes = {
      direct: await getBackend('wasm').compile(g, { relaxedSimd, winograd: false }),
      winograd: await getBackend('wasm').compile(g, { relaxedSimd }),
    };
    const a = (await exes.direct.run(x))[g.outputs[0]].data, b = (await exes.winograd.run(x))[g.outputs[0]].data;
    let err = 0, mx = 0;
    for (let i = 0; i < a.length; i++) { err = Math.max(err, Math.abs(a[i] - b[i])); mx = Math.max(mx, Math.abs(a[i])); }
    const weights = { direct: exes.direct.memory().weightBytes, winograd: exes.winograd.memory().weightBytes };
    const row = { model: name, build: relaxedSimd ? 'relaxed-simd' : 'simd', rounds, ...(await alternate(exes, x)), gflop: r3(flops / 1e9), executedGflopWinograd: r3(executed / 1e9), weightBytes: weights, maxDiffRelative: err / mx };
    for (const exe of Object.values(exes)) exe.dispose();
    row.effectiveGflops = { direct: r3(flops / row.directMs.min / 1e6), winograd: r3(flops / row.winogradMs.min / 1e6) };
    models.push(row);
    console.log(`${name.padEnd(16)} ${row.build.padEnd(12)} direct ${row.directMs.min}/${row.directMs.median} ms  winograd ${row.winogradMs.min}/${row.winogradMs.median} ms  x${row.speedupOfMin} (paired median x${row.speedupPairedMedian})  eff. ${row.effectiveGflops.direct} -> ${row.effectiveGflops.winograd} GFLOP/s  weights ${(weights.direct / 2 ** 20).toFixed(1)} -> ${(weights.winograd / 2 ** 20).toFixed(1)} MiB  diff ${(err / mx).toExponential(1)}`);
  }
}

writeFileSync(values.json, JSON.stringify({
  what: 'conv2d 3x3 s1 pad 1 + bias + relu, batch 1, one thread: direct GEMM path vs Winograd F(4x4, 3x3), alternated in one process; then whole models (224x224, batch 1, one thread) with winograd: false and the default',
  command: `node ${process.execArgv.join(' ')} bench/winograd.bench.mjs --rounds ${rounds}`,
  date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model, loadavg: loadavg(), results, models,
}, null, 2) + '\n');
console.log(`wrote ${values.json}`);

#!/usr/bin/env node
// Winograd F(4x4, 3x3) against the direct path on the webgpu backend (SwiftShader here), in one
// process: each 3x3 stride-1 layer shape of ResNet (conv + bias + ReLU, batch 1) compiled with
// `winograd: 'all'` and `false`, then whole models with the default and `false`; the two
// executables of a pair run alternately (the order flips every round) after a warm-up run.
// Layers are timed by the GPU's timestamp queries (the sum over the executable's passes),
// models by wall time around run(). Prints min and median of each and the ratios direct /
// Winograd, and each model's max |error| / max |output| against the float64 reference backend.
//
//   node bench/webgpu-winograd.bench.mjs [--rounds 8] [--layers 64x56,128x28,256x14,512x7] [--models resnet18] [--side 224]
import { parseArgs } from 'node:util';
import { buildModel, getBackend, GraphBuilder } from '../dist/index.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '8' },
    layers: { type: 'string', default: '64x56,128x28,256x14,512x7' },
    models: { type: 'string', default: 'resnet18' },
    side: { type: 'string', default: '224' },
  },
});
const rounds = Math.max(1, Number(values.rounds));
const gpu = getBackend('webgpu');
const min = (a) => Math.min(...a);
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
const input = (g) => Float32Array.from({ length: g.inputs[0].shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(0.37 * i));

/** Runs the two executables alternately; returns the times of each by `measure`. */
async function alternate(exes, x, measure) {
  for (const e of Object.values(exes)) await e.run(x);
  const t = Object.fromEntries(Object.keys(exes).map((k) => [k, []]));
  for (let r = 0; r < rounds; r++) {
    for (const k of r % 2 ? Object.keys(exes).reverse() : Object.keys(exes)) t[k].push(await measure(exes[k], x));
  }
  return t;
}
const line = (label, t) =>
  `${label}: Winograd min ${min(t.winograd).toFixed(1)} ms, median ${median(t.winograd).toFixed(1)}; direct min ${min(t.direct).toFixed(1)}, median ${median(t.direct).toFixed(1)}; ` +
  `direct / Winograd ${(min(t.direct) / min(t.winograd)).toFixed(2)}x (medians ${(median(t.direct) / median(t.winograd)).toFixed(2)}x)`;

for (const layer of values.layers.split(',').filter(Boolean)) {
  const [C, S] = layer.split('x').map(Number);
  const b = new GraphBuilder(`conv${C}x${S}`);
  const g = b.build([b.input('x', [1, C, S, S]).conv('conv', C, 3, { pad: 1 }).relu()]);
  const exes = { winograd: await gpu.compile(g, { winograd: 'all' }), direct: await gpu.compile(g, { winograd: false }) };
  const t = await alternate(exes, input(g), async (e, x) => {
    await e.run(x);
    return e.profile().reduce((s, p) => s + p.ms, 0);
  });
  console.log(line(`${C} -> ${C} channels, ${S}x${S}`, t));
  for (const e of Object.values(exes)) e.dispose();
}

for (const model of values.models.split(',').filter(Boolean)) {
  const side = Number(values.side);
  const g = buildModel(model, { batch: 1, height: side, width: side });
  const x = input(g);
  const ref = await getBackend('reference').compile(g);
  const want = (await ref.run(x))[g.outputs[0]].data;
  ref.dispose();
  const maxRef = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const exes = { winograd: await gpu.compile(g), direct: await gpu.compile(g, { winograd: false }) };
  for (const [k, e] of Object.entries(exes)) {
    const got = (await e.run(x))[g.outputs[0]].data;
    const err = want.reduce((m, v, i) => Math.max(m, Math.abs(got[i] - v)), 0);
    console.log(`${model} ${side}x${side} ${k}: max |error| / max |reference| ${(err / maxRef).toExponential(2)}`);
  }
  const t = await alternate(exes, x, async (e, xx) => {
    const start = performance.now();
    await e.run(xx);
    return performance.now() - start;
  });
  console.log(line(`${model} ${side}x${side}`, t));
  for (const e of Object.values(exes)) e.dispose();
}
process.exit(0);

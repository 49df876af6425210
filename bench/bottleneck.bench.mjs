#!/usr/bin/env node
// The fused inverted residual (issue 14) against the unfused chain of three convs, on the wasm
// backend, in one process: every distinct block shape of MobileNetV2 at 224x224 (batch 1,
// relu6, the residual where the model has one), and whole models (MobileNetV2, and
// EfficientNet-B0 whose blocks fuse by halves); per case the fused
// executable (compile option fuseBottlenecks: true, the default) and the unfused one
// (fuseBottlenecks: false) alternated A, B, A, B (the order flipped every round) for every
// round after warm-up. Reports min and median of each, the ratio of minimums (unfused / fused:
// above 1, the fused block is faster) and of medians, and the largest difference between their
// outputs. Needs `npm run build` (dist/).
//
//   node [--experimental-wasm-relaxed-simd] bench/bottleneck.bench.mjs [--rounds 15] [--threads 1]
//        [--models mobilenetv2,efficientnet-b0] [--no-blocks] [--json bench/results/bottleneck.json]
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { buildModel, finalizeGraph, getBackend } from '../dist/index.js';
import '../dist/backends/register-all.js';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '15' }, threads: { type: 'string', default: '1' }, json: { type: 'string' }, models: { type: 'string', default: 'mobilenetv2,efficientnet-b0' }, blocks: { type: 'boolean', default: true }, 'no-blocks': { type: 'boolean', default: false } },
});
const rounds = Math.max(10, Number(values.rounds));
const threads = Math.max(1, Number(values.threads));

/** MobileNetV2's blocks at 224x224: input channels, side, expansion, output channels, stride, residual; how many blocks have the shape. */
const BLOCKS = [
  [32, 112, 1, 16, 1, false, 1],
  [16, 112, 6, 24, 2, false, 1],
  [24, 56, 6, 24, 1, true, 1],
  [24, 56, 6, 32, 2, false, 1],
  [32, 28, 6, 32, 1, true, 2],
  [32, 28, 6, 64, 2, false, 1],
  [64, 14, 6, 64, 1, true, 3],
  [64, 14, 6, 96, 1, false, 1],
  [96, 14, 6, 96, 1, true, 2],
  [96, 14, 6, 160, 2, false, 1],
  [160, 7, 6, 160, 1, true, 2],
  [160, 7, 6, 320, 1, false, 1],
];

let seed = 1;
const constant = (name, shape) => ({ name, shape, trainable: true, init: { seed: seed++, low: -0.2, high: 0.2 } });
const node = (name, op, inputs, attrs) => ({ name, op, inputs, outputs: [name], attrs, layer: name });

function blockGraph([cin, side, t, cout, s, residual]) {
  const ce = cin * t;
  const relu6 = { activation: { op: 'clip', min: 0, max: 6 } };
  const pw = { kernel: [1, 1], stride: [1, 1], pads: [0, 0, 0, 0], dilation: [1, 1], groups: 1 };
  const nodes = [
    ...(t > 1 ? [node('e', 'conv2d', ['x', 'ew', 'eb'], { ...pw, ...relu6 })] : []),
    node('d', 'conv2d', [t > 1 ? 'e' : 'x', 'dw', 'db'], { kernel: [3, 3], stride: [s, s], pads: [1, 1, 1, 1], dilation: [1, 1], groups: ce, ...relu6 }),
    node('y', 'conv2d', ['d', 'pw', 'pb', ...(residual ? ['x'] : [])], pw),
  ];
  const inits = [
    ...(t > 1 ? [constant('ew', [ce, cin, 1, 1]), constant('eb', [ce])] : []),
    constant('dw', [ce, 1, 3, 3]), constant('db', [ce]), constant('pw', [cout, ce, 1, 1]), constant('pb', [cout]),
  ];
  return finalizeGraph('block', [{ name: 'x', shape: [1, cin, side, side] }], ['y'], nodes, new Map(inits.map((i) => [i.name, i])));
}

const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

async function compare(label, graph, reps) {
  const wasm = getBackend('wasm');
  const fused = await wasm.compile(graph, { threads });
  const unfused = await wasm.compile(graph, { threads, fuseBottlenecks: false });
  const x = new Float32Array(graph.inputs[0].shape.reduce((a, b) => a * b, 1)).map((_, i) => Math.sin(i * 0.37));
  const out = graph.outputs[0];
  const time = async (exe) => {
    const t = performance.now();
    for (let r = 0; r < reps; r++) await exe.run(x);
    return (performance.now() - t) / reps;
  };
  for (let w = 0; w < 3; w++) {
    await time(fused);
    await time(unfused);
  }
  const a = [];
  const b = [];
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      a.push(await time(fused));
      b.push(await time(unfused));
    } else {
      b.push(await time(unfused));
      a.push(await time(fused));
    }
  }
  const ya = (await fused.run(x))[out].data;
  const yb = (await unfused.run(x))[out].data;
  let diff = 0;
  for (let i = 0; i < ya.length; i++) diff = Math.max(diff, Math.abs(ya[i] - yb[i]));
  const row = {
    case: label, fusedOps: fused.profile().filter((t) => t.op === 'invertedresidual').length,
    fused: { min: Math.min(...a), median: median(a), arenaBytes: fused.memory().arenaBytes },
    unfused: { min: Math.min(...b), median: median(b), arenaBytes: unfused.memory().arenaBytes },
    speedupOfMin: Math.min(...b) / Math.min(...a), speedupOfMedian: median(b) / median(a), maxDiff: diff,
  };
  fused.dispose();
  unfused.dispose();
  console.log(
    `${label.padEnd(34)} fused ${row.fused.min.toFixed(3)} / ${row.fused.median.toFixed(3)} ms  unfused ${row.unfused.min.toFixed(3)} / ${row.unfused.median.toFixed(3)} ms  ` +
      `unfused/fused: min ${row.speedupOfMin.toFixed(3)}x median ${row.speedupOfMedian.toFixed(3)}x  arena ${(row.fused.arenaBytes / 1024).toFixed(0)} vs ${(row.unfused.arenaBytes / 1024).toFixed(0)} KiB  max diff ${diff.toExponential(1)}`,
  );
  return row;
}

const rows = [];
console.log(`wasm, ${threads} thread(s), ${rounds} rounds alternated after 3 warm-up rounds; min / median per run`);
for (const b of values['no-blocks'] ? [] : BLOCKS) {
  const [cin, side, t, cout, s, residual, count] = b;
  rows.push(await compare(`${cin}->${cin * t}->${cout} ${side}x${side} s${s}${residual ? ' +x' : ''} (x${count})`, blockGraph(b), side >= 56 ? 3 : 10));
}
for (const name of values.models.split(',').filter(Boolean)) rows.push(await compare(`${name} 224x224 (whole model)`, buildModel(name, { height: 224, width: 224 }), 1));
if (values.json) writeFileSync(values.json, JSON.stringify({ threads, rounds, engine: process.version, rows }, null, 2));

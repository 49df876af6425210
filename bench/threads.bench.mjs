#!/usr/bin/env node
// How webconv's wasm backend scales from one thread to two (issue 14: 2 threads >= 1.8x of
// one on every zoo model of at least 0.3 GFLOP). Per model, two executables of the same graph
// (threads 1 and 2, relaxed SIMD where the engine has it) in one process, `--warmup` runs each,
// then `--rounds` rounds of one run each, alternating, the order flipped every round (the
// harness's `interleave`); min and median of each and the speed-up of both. Threads need
// SharedArrayBuffer: Node has it; a page needs cross-origin isolation.
//
//   node --experimental-wasm-relaxed-simd bench/threads.bench.mjs [--models a,b] [--rounds 12] [--json out.json]
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildModel, costTable, getBackend } from '../dist/index.js';
import { benchInput, environment, interleave, maxAbsDiff, packageVersion } from '../dist/bench/harness.js';

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: 'resnet18,resnet50,googlenet,vgg-d,mobilenetv2,efficientnet-b0,mnasnet,mobilenetv3-large,convnext-tiny' },
    rounds: { type: 'string', default: '12' },
    warmup: { type: 'string', default: '2' },
    json: { type: 'string' },
  },
});
const rounds = Math.max(10, Number(values.rounds));
const warmup = Math.max(1, Number(values.warmup));
const env = await environment();
const results = [];
console.log(`machine: ${env.cpu}, ${env.cores} cores, Node ${env.node}; ${warmup} warm-up + ${rounds} alternating rounds per model`);
console.log('model                GFLOP   1 thread min / median    2 threads min / median   speed-up (min, median)');
for (const model of values.models.split(',').filter(Boolean)) {
  const graph = buildModel(model, { batch: 1 });
  const x = benchInput(graph);
  const gflop = costTable(graph).totals.flops / 1e9;
  const exes = {};
  for (const threads of [1, 2]) exes[threads] = await getBackend('wasm').compile(graph, { threads });
  const out = graph.outputs[0];
  const diff = maxAbsDiff((await exes[1].run(x))[out].data, (await exes[2].run(x))[out].data);
  const timed = await interleave([1, 2].map((t) => ({ name: String(t), run: () => exes[t].run(x) })), { warmup, rounds });
  for (const e of Object.values(exes)) e.dispose();
  const [one, two] = [timed.latency['1'], timed.latency['2']];
  const row = { model, gflop, threads: exes[2].info().threads, one, two, speedupOfMin: one.minMs / two.minMs, speedup: one.medianMs / two.medianMs, maxAbsDiff: diff, ...(timed.failed ? { error: String(timed.failed.error) } : {}) };
  results.push(row);
  console.log(
    `${model.padEnd(18)} ${gflop.toFixed(2).padStart(7)}   ${one.minMs.toFixed(1).padStart(8)} / ${one.medianMs.toFixed(1).padStart(8)} ms   ${two.minMs.toFixed(1).padStart(8)} / ${two.medianMs.toFixed(1).padStart(8)} ms   ${row.speedupOfMin.toFixed(2)}x, ${row.speedup.toFixed(2)}x`,
  );
}
const outFile = values.json ?? join(dirname(fileURLToPath(import.meta.url)), 'results', 'threads.json');
mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, JSON.stringify({ tool: 'webconv', version: await packageVersion(), date: new Date().toISOString(), environment: env, warmup, rounds, results }, null, 2) + '\n');
console.log(`wrote ${outFile}`);

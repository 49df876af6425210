#!/usr/bin/env node
// How webconv's wasm backend scales from one thread to two (issue 14: 2 threads >= 1.8x of
// one on every zoo model of at least 0.3 GFLOP). Per model, two executables of the same graph
// (threads 1 and 2, relaxed SIMD where the engine has it) in one process, `--warmup` runs each,
// then `--rounds` rounds of one run each, alternating, the order flipped every round (the
// harness's `interleave`); min and median of each and the speed-up of both, and whether the
// two outputs are identical. Threads need SharedArrayBuffer: Node has it; a page needs
// cross-origin isolation. The models: by default every zoo model of at least `--min-gflop`
// GFLOP (0.3: the issue's scope), or `--models a,b`.
//
// A 2-thread run needs both cores: on a shared machine, anything else running takes from it
// and not from the 1-thread run, so the ratio is a lower bound. The load average (1 minute)
// at the start and end of each model is printed and kept in the JSON; run it when it is low.
//
//   node --experimental-wasm-relaxed-simd bench/threads.bench.mjs [--models a,b] [--min-gflop 0.3] [--rounds 12] [--json out.json]
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildModel, costTable, getBackend, ZOO } from '../dist/index.js';
import { benchInput, environment, interleave, maxAbsDiff, packageVersion } from '../dist/bench/harness.js';

const { values } = parseArgs({
  options: {
    models: { type: 'string' },
    'min-gflop': { type: 'string', default: '0.3' },
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
console.log('model                GFLOP   1 thread min / median    2 threads min / median   speed-up (min, median)   load average (1 min)');
const gflopOf = (graph) => costTable(graph).totals.flops / 1e9;
const models = values.models?.split(',').filter(Boolean) ?? ZOO.map((z) => z.name).filter((m) => gflopOf(buildModel(m, { batch: 1 })) >= Number(values['min-gflop']));
const load = () => Number(loadavg()[0].toFixed(2));
for (const model of models) {
  const graph = buildModel(model, { batch: 1 });
  const x = benchInput(graph);
  const gflop = gflopOf(graph);
  const loadBefore = load();
  const exes = {};
  for (const threads of [1, 2]) exes[threads] = await getBackend('wasm').compile(graph, { threads });
  const out = graph.outputs[0];
  const diff = maxAbsDiff((await exes[1].run(x))[out].data, (await exes[2].run(x))[out].data);
  const timed = await interleave([1, 2].map((t) => ({ name: String(t), run: () => exes[t].run(x) })), { warmup, rounds });
  for (const e of Object.values(exes)) e.dispose();
  const [one, two] = [timed.latency['1'], timed.latency['2']];
  const row = { model, gflop, threads: exes[2].info().threads, one, two, speedupOfMin: one.minMs / two.minMs, speedup: one.medianMs / two.medianMs, maxAbsDiff: diff, loadAverage: [loadBefore, load()], ...(timed.failed ? { error: String(timed.failed.error) } : {}) };
  results.push(row);
  console.log(
    `${model.padEnd(18)} ${gflop.toFixed(2).padStart(7)}   ${one.minMs.toFixed(1).padStart(8)} / ${one.medianMs.toFixed(1).padStart(8)} ms   ${two.minMs.toFixed(1).padStart(8)} / ${two.medianMs.toFixed(1).padStart(8)} ms   ${row.speedupOfMin.toFixed(2)}x, ${row.speedup.toFixed(2)}x   load ${row.loadAverage.join(' -> ')}${diff ? `   outputs differ by ${diff}` : ''}`,
  );
}
const outFile = values.json ?? join(dirname(fileURLToPath(import.meta.url)), 'results', 'threads.json');
mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, JSON.stringify({ tool: 'webconv', version: await packageVersion(), date: new Date().toISOString(), environment: env, warmup, rounds, results }, null, 2) + '\n');
console.log(`wrote ${outFile}`);

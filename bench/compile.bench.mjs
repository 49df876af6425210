#!/usr/bin/env node
// How import and compile scale with the number of nodes: a chain of 1x1 conv + ReLU pairs
// of 12,500 to 100,000 nodes, exported to ONNX, then imported, optimised (BN folding,
// fusion), planned and compiled for wasm, and run once. Each size is measured three times
// in this one process, the sizes interleaved (12.5k, 25k, 50k, 100k, 12.5k, ...); the
// figures are the minimum per phase. Linear passes give a flat "us per node" column.
// `--json out.json` writes the figures with the environment.
import { writeFileSync } from 'node:fs';
import { GraphBuilder, exportOnnx, importOnnx, getBackend, optimizeGraph, planMemory } from '../dist/index.js';
import { environment, packageVersion } from '../dist/bench/harness.js';

const SIZES = [12_500, 25_000, 50_000, 100_000];
const ROUNDS = 3;

function chain(nodes) {
  const b = new GraphBuilder(`chain-${nodes}`);
  let t = b.input('x', [1, 4, 4, 4]);
  for (let i = 0; i < nodes / 2; i++) t = t.conv(`c${i}`, 4, 1).relu();
  return exportOnnx(b.build([t]));
}

const files = new Map(SIZES.map((n) => [n, chain(n)]));
const best = new Map(SIZES.map((n) => [n, {}]));
const keep = (n, phase, ms) => {
  const b = best.get(n);
  b[phase] = Math.min(b[phase] ?? Infinity, ms);
};
for (let r = 0; r < ROUNDS; r++) {
  for (const n of SIZES) {
    let t = performance.now();
    const lap = (phase) => {
      const now = performance.now();
      keep(n, phase, now - t);
      t = now;
    };
    const g = importOnnx(files.get(n));
    lap('import');
    const { graph } = optimizeGraph(g);
    lap('passes');
    planMemory(graph);
    lap('plan');
    const exe = await getBackend('wasm').compile(g);
    lap('compile');
    await exe.run(new Float32Array(64).fill(1));
    lap('run');
    exe.dispose();
  }
}

const env = await environment();
console.log(`import and compile vs node count, min of ${ROUNDS} interleaved rounds (${env.cpu}, Node ${env.node})`);
console.log('nodes     import ms  passes ms  plan ms  compile ms (wasm, passes + plan included)  run ms  total us/node');
const rows = SIZES.map((n) => {
  const b = best.get(n);
  const total = b.import + b.compile + b.run;
  console.log(
    `${String(n).padEnd(9)} ${b.import.toFixed(0).padStart(9)} ${b.passes.toFixed(0).padStart(10)} ${b.plan.toFixed(0).padStart(8)} ` +
      `${b.compile.toFixed(0).padStart(11)} ${''.padStart(33)} ${b.run.toFixed(0).padStart(6)} ${((total * 1000) / n).toFixed(1).padStart(14)}`,
  );
  return { nodes: n, ...b, totalMs: total };
});
const i = process.argv.indexOf('--json');
if (i > 0) writeFileSync(process.argv[i + 1], JSON.stringify({ tool: 'webconv', version: await packageVersion(), environment: env, rounds: ROUNDS, rows }, null, 2));

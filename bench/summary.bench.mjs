#!/usr/bin/env node
// How long the cost model takes: build each zoo graph (shape inference included, no
// weights) and compute its cost table with the liveness plan. Warm-up excluded; min, median
// and p90 over tinybench's samples (the harness's latency figures). `--json out.json` writes
// the figures with the environment.
import { writeFileSync } from 'node:fs';
import { Bench } from 'tinybench';
import { ZOO, costTable } from '../dist/index.js';
import { environment, latency, packageVersion } from '../dist/bench/harness.js';

const bench = new Bench({ time: 200, warmupTime: 50, retainSamples: true });
for (const m of ZOO) bench.add(m.name, () => costTable(m.build({ batch: 1 }), { memory: 'inference' }));
await bench.run();

const rows = bench.tasks.map((t) => {
  const g = ZOO.find((m) => m.name === t.name).build();
  return { model: t.name, nodes: g.nodes.length, ...latency(t.result.latency.samples) };
});
const env = await environment();
console.log(`cost model: build + cost table per model (${env.cpu}, ${env.cores} cores, Node ${env.node})`);
console.log('model           nodes      min ms   median ms   p90 ms   samples');
for (const r of rows) {
  console.log(`${r.model.padEnd(14)} ${String(r.nodes).padStart(6)} ${r.minMs.toFixed(3).padStart(11)} ${r.medianMs.toFixed(3).padStart(11)} ${r.p90Ms.toFixed(3).padStart(8)} ${String(r.samples).padStart(9)}`);
}
const i = process.argv.indexOf('--json');
if (i > 0) writeFileSync(process.argv[i + 1], JSON.stringify({ tool: 'webconv', version: await packageVersion(), environment: env, rows }, null, 2));

#!/usr/bin/env node
// How long the cost model takes: build each zoo graph (shape inference included, no
// weights) and compute its cost table with the liveness plan. Warm-up excluded; median and
// p90 over tinybench's samples. `--json out.json` writes the figures with the machine.
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { Bench } from 'tinybench';
import { ZOO, costTable } from '../dist/index.js';

const bench = new Bench({ time: 200, warmupTime: 50 });
for (const m of ZOO) bench.add(m.name, () => costTable(m.build({ batch: 1 }), { memory: 'inference' }));
await bench.run();

const rows = bench.tasks.map((t) => {
  const r = t.result;
  const lat = r.latency;
  const g = ZOO.find((m) => m.name === t.name).build();
  return { model: t.name, nodes: g.nodes.length, medianMs: lat.p50, p90Ms: lat.p90 ?? lat.p99, samples: lat.samples?.length ?? r.samples?.length };
});
const machine = { cpu: os.cpus()[0]?.model, cores: os.cpus().length, node: process.version, platform: `${os.platform()} ${os.arch()}` };
console.log(`cost model: build + cost table per model (${machine.cpu}, ${machine.cores} cores, Node ${machine.node})`);
console.log('model           nodes   median ms   p90 ms');
for (const r of rows) console.log(`${r.model.padEnd(14)} ${String(r.nodes).padStart(6)} ${r.medianMs.toFixed(3).padStart(11)} ${r.p90Ms.toFixed(3).padStart(8)}`);
const i = process.argv.indexOf('--json');
if (i > 0) writeFileSync(process.argv[i + 1], JSON.stringify({ machine, rows }, null, 2));

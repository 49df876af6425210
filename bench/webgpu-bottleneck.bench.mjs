#!/usr/bin/env node
// The fused inverted residual on WebGPU (kernels/bottleneck.wgsl) against the same blocks
// run as their convs (compile option fuseBottlenecks: false), in one process on one device:
// both executables compiled, outputs compared, then alternating rounds (the order flips each
// round, the harness's interleave), min and median of each, their ratio, the planned arena
// peak of each, and the GPU time per op of one profiled run of each (timestamp queries).
//
//   node bench/webgpu-bottleneck.bench.mjs [--models mobilenetv2] [--rounds 6] [--size 224]
import { parseArgs } from 'node:util';
import { buildModel, getBackend } from '../dist/index.js';
import { benchInput, interleave, maxAbsDiff } from '../dist/bench/harness.js';
import { releaseSharedGpu } from '../dist/backends/webgpu/webgpu-backend.js';

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: 'mobilenetv2' },
    rounds: { type: 'string', default: '6' },
    size: { type: 'string', default: '224' },
  },
});
const rounds = Math.max(1, Number(values.rounds));
const side = Number(values.size);
const webgpu = getBackend('webgpu');
const mb = (b) => (b / 2 ** 20).toFixed(2);

for (const model of values.models.split(',').filter(Boolean)) {
  const graph = buildModel(model, { height: side, width: side });
  const x = benchInput(graph);
  const out = graph.outputs[0];
  const variants = [
    { name: 'fused', exe: await webgpu.compile(graph) },
    { name: 'convs', exe: await webgpu.compile(graph, { fuseBottlenecks: false }) },
  ];
  const outputs = [];
  for (const v of variants) outputs.push((await v.exe.run(x))[out].data);
  const byOp = variants.map((v) => {
    const ms = {};
    for (const t of v.exe.profile()) ms[t.op] = (ms[t.op] ?? 0) + t.ms;
    return ms;
  });
  const { latency } = await interleave(
    variants.map((v) => ({ name: v.name, run: () => v.exe.run(x) })),
    { rounds, warmup: 1 },
  );
  console.log(`${model} ${side}x${side}, ${rounds} alternating rounds after 1 warm-up, max |fused - convs| ${maxAbsDiff(outputs[0], outputs[1]).toExponential(2)}`);
  for (const [i, v] of variants.entries()) {
    const m = v.exe.memory();
    const l = latency[v.name];
    const ops = Object.entries(byOp[i]).sort((a, b) => b[1] - a[1]).slice(0, 4).map(([op, t]) => `${op} ${t.toFixed(1)}`).join(', ');
    console.log(`  ${v.name.padEnd(6)} min ${l.minMs.toFixed(1)} ms, median ${l.medianMs.toFixed(1)} ms; arena peak ${mb(m.peakBytes)} MB (arena ${mb(m.arenaBytes)} MB); GPU ms by op: ${ops}`);
  }
  const [a, b] = variants.map((v) => latency[v.name]);
  console.log(`  convs / fused: min ${(b.minMs / a.minMs).toFixed(2)}x, median ${(b.medianMs / a.medianMs).toFixed(2)}x`);
  for (const v of variants) v.exe.dispose();
}
releaseSharedGpu();

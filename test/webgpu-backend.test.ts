/**
 * The WebGPU backend as an executable: its conv paths against the reference backend, what
 * info() and profile() report, GPU buffers across repeated runs and after dispose() (counted by
 * wrapping the device's createBuffer, not by the backend's own books), a lost device, bad
 * input, a model too large for the adapter, and concurrent runs. On Dawn in Node, which is
 * SwiftShader here; under CI a missing adapter fails (test/webgpu-device.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../src/backends/register-all.js';
import { referenceBackend } from '../src/backends/reference/reference-backend.js';
import { acquireDevice, type GpuContext } from '../src/backends/webgpu/device.js';
import { releaseSharedGpu, webgpuBackend, type WebgpuCompileOptions } from '../src/backends/webgpu/webgpu-backend.js';
import { ExecutableError, GpuError, InputError } from '../src/graph/errors.js';
import { GraphBuilder } from '../src/graph/builder.js';
import type { Graph } from '../src/graph/graph.js';
import { buildModel } from '../src/models/zoo.js';
import { optimizeGraph } from '../src/plan/passes.js';
import { planMemory } from '../src/plan/memory-planner.js';
import { mulberry32 } from '../src/graph/weight-init.js';
import { seededInput } from './helpers/wasm.js';

let available = false;
beforeAll(async () => {
  available = await webgpuBackend.isAvailable();
}, 60_000);
afterAll(() => releaseSharedGpu());

/** A device whose buffers are counted from outside the backend: live buffers and their bytes. */
async function countedDevice(): Promise<{ gpu: GpuContext; live: Map<GPUBuffer, number>; created: () => number }> {
  const gpu = await acquireDevice();
  const live = new Map<GPUBuffer, number>();
  let created = 0;
  const device = gpu.device;
  const create = device.createBuffer.bind(device);
  device.createBuffer = (desc: GPUBufferDescriptor) => {
    const buffer = create(desc);
    created++;
    live.set(buffer, desc.size);
    const destroy = buffer.destroy.bind(buffer);
    buffer.destroy = () => {
      live.delete(buffer);
      destroy();
    };
    return buffer;
  };
  return { gpu, live, created: () => created };
}

const bytesOf = (live: Map<GPUBuffer, number>) => [...live.values()].reduce((a, b) => a + b, 0);

async function compareWithReference(g: Graph): Promise<{ maxErr: number; maxRef: number }> {
  const x = seededInput(g);
  const want = (await (await referenceBackend.compile(g)).run(x))[g.outputs[0]].data;
  const exe = await webgpuBackend.compile(g);
  const got = (await exe.run(x))[g.outputs[0]].data;
  exe.dispose();
  let maxErr = 0;
  let maxRef = 0;
  for (let i = 0; i < want.length; i++) {
    maxErr = Math.max(maxErr, Math.abs(got[i] - want[i]));
    maxRef = Math.max(maxRef, Math.abs(want[i]));
  }
  return { maxErr: Number.isNaN(maxErr) ? Infinity : maxErr, maxRef };
}

describe('webgpu backend', () => {
  // Each graph picks a kernel path; the planner fuses the residual add and relu into the conv.
  const graphs: [string, () => Graph][] = [
    ['tiled GEMM: stride, asymmetric pads, dilation, 2 groups, fused residual + relu, edges not multiples of the tile', () => {
      const b = new GraphBuilder('tiled');
      const x = b.input('x', [2, 20, 13, 11]);
      const a = x.conv('a', 70, 3, { pad: [1, 2, 0, 1], stride: [2, 1], dilation: [1, 2], groups: 2 });
      const r = x.conv('r', 70, [3, 2], { stride: [2, 1], bias: false });
      return b.build([a.add(r).relu()]);
    }],
    ['tiled GEMM: K spanning several TK steps, no bias', () => {
      const b = new GraphBuilder('deep');
      return b.build([b.input('x', [1, 48, 9, 9]).conv('c', 130, 3, { pad: 1, bias: false })]);
    }],
    ['wide tiles for few output channels (8 and 12) over K >= 64, pixels not a multiple of 256', () => {
      const b = new GraphBuilder('wide');
      const x = b.input('x', [2, 8, 15, 15]);
      return b.build([x.conv('c8', 8, 3, { pad: 1 }).relu().conv('c12', 12, 3, { stride: 2 })]);
    }],
    ['direct: depthwise with channel multiplier 2, and a 1x1 conv with K <= 16', () => {
      const b = new GraphBuilder('direct');
      const x = b.input('x', [2, 6, 15, 14]);
      return b.build([x.conv('dw', 12, 3, { pad: 1, stride: 2, groups: 6 }).relu().conv('pw', 5, 1)]);
    }],
    ['fc: batch 3 (one workgroup per feature) and batch 12 (the tiled GEMM)', () => {
      const b = new GraphBuilder('fc');
      const x = b.input('x', [3, 300]);
      const y = b.input('y', [12, 130]);
      return b.build([x.fc('f1', 77).relu().fc('f2', 9), y.fc('g1', 65)]);
    }],
  ];
  it.for(graphs)('%s agrees with the reference backend', async ([, make], ctx) => {
    if (!available) return ctx.skip();
    const g = make();
    if (g.inputs.length === 1) {
      const { maxErr, maxRef } = await compareWithReference(g);
      expect(maxRef).toBeGreaterThan(0);
      expect(maxErr).toBeLessThanOrEqual(1e-5 * maxRef);
      return;
    }
    const feeds = Object.fromEntries(
      g.inputs.map((inp, i) => {
        const next = mulberry32(20 + i);
        return [inp.name, { shape: inp.shape, data: Float32Array.from({ length: inp.shape.reduce((a, d) => a * d, 1) }, () => next() * 2 - 1) }];
      }),
    );
    const want = await (await referenceBackend.compile(g)).run(feeds);
    const exe = await webgpuBackend.compile(g);
    const got = await exe.run(feeds);
    exe.dispose();
    for (const o of g.outputs) {
      const maxRef = want[o].data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      const maxErr = want[o].data.reduce((m, v, i) => Math.max(m, Math.abs(v - got[o].data[i])), 0);
      expect(maxErr, o).toBeLessThanOrEqual(1e-5 * maxRef);
    }
  });

  it('names the adapter plainly, times every node, and reports its memory', async (ctx) => {
    if (!available) return ctx.skip();
    const g = buildModel('resnet18', { height: 32, width: 32 });
    const exe = await webgpuBackend.compile(g);
    await exe.run(seededInput(g));
    const info = exe.info();
    expect(info.backend).toBe('webgpu');
    expect(info.adapter).toBe('SwiftShader (software)');
    expect(info.fallbackNodes).toEqual([]);
    expect(info.features).toContain('timestamp-query');
    const optimized = optimizeGraph(g).graph;
    const profile = exe.profile();
    expect(profile.map((p) => p.node)).toEqual(optimized.nodes.map((n) => n.name));
    expect(profile.every((p) => p.ms >= 0 && Number.isFinite(p.ms))).toBe(true);
    expect(profile.filter((p) => p.op === 'conv2d').every((p) => p.ms > 0)).toBe(true);
    const mem = exe.memory();
    expect(mem.arenaBytes).toBe(planMemory(optimized).arenaBytes);
    const weights = [...optimized.initializers.keys()].reduce((s, k) => s + optimized.weight(k).byteLength, 0);
    expect(mem.weightBytes).toBe(weights);
    expect(mem.totalBytes).toBeGreaterThanOrEqual(mem.weightBytes + mem.arenaBytes);
    exe.dispose();
  });

  // The executor allocates nothing per run whatever the model: 200 runs of LeNet-5, and 20 of
  // ResNet-18 at the smallest input it takes (its last stage at 1x1; SwiftShader is slow).
  // Every createBuffer call is counted, so one buffer made per run shows after the second.
  const steady: [string, number, number | undefined][] = [['lenet5', 200, undefined], ['resnet18', 20, 16]];
  it.for(steady)('%s: %i runs leave its GPU buffers unchanged after the first; dispose() releases them all', { timeout: 600_000 }, async ([model, runs, side], ctx) => {
    if (!available) return ctx.skip();
    const { gpu, live, created } = await countedDevice();
    try {
      const g = buildModel(model, side ? { height: side, width: side } : {});
      const x = seededInput(g);
      const exe = await webgpuBackend.compile(g, { gpu } as WebgpuCompileOptions);
      const first = (await exe.run(x))[g.outputs[0]].data;
      const after1 = { count: live.size, bytes: bytesOf(live), created: created() };
      expect(after1.count).toBeGreaterThan(0);
      let last = first;
      for (let i = 1; i < runs; i++) last = (await exe.run(x))[g.outputs[0]].data;
      expect({ count: live.size, bytes: bytesOf(live), created: created() }).toEqual(after1);
      expect(last).toEqual(first);
      console.log(`${model} on webgpu: ${after1.count} GPU buffers, ${(after1.bytes / 2 ** 20).toFixed(1)} MiB, unchanged over ${runs} runs`);
      exe.dispose();
      expect(live.size).toBe(0);
      await expect(exe.run(x)).rejects.toThrow(ExecutableError);
    } finally {
      gpu.destroy();
    }
  });

  it('a lost device gives a clear error, and compiling again runs on a new device', async (ctx) => {
    if (!available) return ctx.skip();
    const gpu = await acquireDevice();
    const g = buildModel('lenet5');
    const x = seededInput(g);
    const exe = await webgpuBackend.compile(g, { gpu } as WebgpuCompileOptions);
    const before = (await exe.run(x))[g.outputs[0]].data;
    gpu.destroy();
    for (let i = 0; i < 100 && !gpu.lost; i++) await new Promise((r) => setTimeout(r, 10));
    await expect(exe.run(x)).rejects.toThrow(/GPU device was lost \(destroyed.*compile the model again/);
    await expect(webgpuBackend.compile(g, { gpu } as WebgpuCompileOptions)).rejects.toThrow(GpuError);
    const again = await webgpuBackend.compile(g);
    expect((await again.run(x))[g.outputs[0]].data).toEqual(before);
    again.dispose();
    exe.dispose();
  });

  it('rejects bad input, and a model too large for the adapter before allocating anything', async (ctx) => {
    if (!available) return ctx.skip();
    const g = buildModel('lenet5');
    const exe = await webgpuBackend.compile(g);
    await expect(exe.run(new Float32Array(5))).rejects.toThrow(InputError);
    await expect(exe.run({ nope: new Float32Array(5) })).rejects.toThrow(/unknown input 'nope'/);
    exe.dispose();

    const { gpu, created } = await countedDevice();
    try {
      const side = 2048;
      const b = new GraphBuilder('huge');
      const huge = b.build([b.input('x', [64, 3, side, side]).conv('c', 64, 3, { pad: 1 })]);
      await expect(webgpuBackend.compile(huge, { gpu } as WebgpuCompileOptions)).rejects.toThrow(/GPU storage buffer .* needs .* more than the .* allowed/);
      expect(created()).toBe(0);
    } finally {
      gpu.destroy();
    }
  });

  it('serves concurrent runs one after another, each with its own inputs', async (ctx) => {
    if (!available) return ctx.skip();
    const g = buildModel('lenet5', { batch: 2 });
    const exe = await webgpuBackend.compile(g);
    const inputs = [1, 2, 3].map((s) => seededInput(g, s));
    const alone = [];
    for (const x of inputs) alone.push((await exe.run(x))[g.outputs[0]].data);
    const together = await Promise.all(inputs.map((x) => exe.run(x)));
    expect(together.map((r) => r[g.outputs[0]].data)).toEqual(alone);
    expect(alone[0]).not.toEqual(alone[1]);
    exe.dispose();
  });
});

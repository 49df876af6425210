/**
 * The wasm backend as a whole: memory planned once (no growth across runs, within 10% of
 * the cost model's inference prediction), threads, what info() reports, dispose().
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import '../src/backends/register-all.js';
import { getBackend } from '../src/backends/registry.js';
import { buildModel, costTable, ExecutableError } from '../src/index.js';
import { optimizeGraph } from '../src/plan/passes.js';
import { winogradExtraWeightBytesOf } from '../src/cost/winograd.js';
import { fuseBottlenecks } from '../src/plan/fuse-bottleneck.js';
import { seededInput } from './helpers/wasm.js';

const wasm = getBackend('wasm');

describe('wasm backend memory', () => {
  for (const [name, side] of [['resnet50', 224], ['googlenet', 224], ['mobilenetv2', 224], ['inception-v3', 299]] as const) {
    it(`${name}: the wasm memory after a run is within 10% of weights + planned arena, and never grows`, async () => {
      const g = buildModel(name, { height: side, width: side });
      // The prediction for the graph the backend runs: after BN folding and fusion, and the
      // bottleneck pass (MobileNetV2's blocks as fused invertedresidual ops).
      const predicted = costTable(fuseBottlenecks(optimizeGraph(g).graph).graph, { memory: 'inference' }).inference;
      const exe = await wasm.compile(g);
      const x = seededInput(g);
      await exe.run(x);
      const after = exe.memory().totalBytes;
      // Convs run by Winograd store 36 transformed weights per 3x3 kernel (src/cost/winograd.ts).
      const winograd = winogradExtraWeightBytesOf(fuseBottlenecks(optimizeGraph(g).graph).graph);
      const expected = predicted.weightBytes + winograd + predicted.arenaPeakBytes;
      expect(Math.abs(after - expected) / expected, `${after} vs ${expected}`).toBeLessThanOrEqual(0.1);
      expect(exe.memory().arenaBytes).toBeGreaterThanOrEqual(predicted.arenaPeakBytes);
      for (let i = 0; i < 3; i++) await exe.run(x);
      expect(exe.memory().totalBytes).toBe(after);
      exe.dispose();
    }, 120_000);
  }
});

describe('wasm backend threads and info', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('two threads give the same output as one, and info() says what ran', async () => {
    const g = buildModel('resnet18', { height: 96, width: 96, batch: 2 });
    const x = seededInput(g);
    const one = await wasm.compile(g, { threads: 1 });
    const two = await wasm.compile(g, { threads: 2 });
    const a = (await one.run(x))[g.outputs[0]].data;
    const b = (await two.run(x))[g.outputs[0]].data;
    expect(b).toEqual(a); // same per-element order of accumulation: bit-identical
    expect(one.info()).toMatchObject({ backend: 'wasm', threads: 1, fallbackNodes: [] });
    expect(two.info().threads).toBe(2);
    expect(two.info().features).toContain('threads');
    one.dispose();
    two.dispose();
  });

  // GoogLeNet's max pools (ceil mode, stride 1 in the branches) and Inception-v3's average
  // pools: threads split their planes; batch 3 so the planes do not share out evenly.
  it.for([['googlenet', 64], ['inception-v3', 75]] as const)('%s: pools split across two threads, bit-identical to one', async ([model, side]) => {
    const g = buildModel(model, { height: side, width: side, batch: 3 });
    expect(g.nodes.some((n) => n.op === 'maxpool' || n.op === 'avgpool')).toBe(true);
    const x = seededInput(g);
    const one = await wasm.compile(g, { threads: 1 });
    const two = await wasm.compile(g, { threads: 2 });
    expect((await two.run(x))[g.outputs[0]].data).toEqual((await one.run(x))[g.outputs[0]].data);
    one.dispose();
    two.dispose();
  });

  it('threads asked for where there is no shared memory: a warning and one thread, not a failure', async () => {
    vi.stubGlobal('SharedArrayBuffer', undefined);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const g = buildModel('lenet5');
    const exe = await wasm.compile(g, { threads: 4 });
    expect(exe.info().threads).toBe(1);
    expect(exe.info().features).not.toContain('threads');
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/4 threads asked for.*running on one thread/));
    expect((await exe.run(seededInput(g)))[g.outputs[0]].data.length).toBe(10);
    exe.dispose();
    warn.mockRestore();
  });

  it('relaxed SIMD is chosen where the engine has it, and can be refused', async () => {
    const g = buildModel('lenet5');
    expect((await wasm.compile(g)).info().features).toEqual(['simd', 'relaxed-simd']);
    expect((await wasm.compile(g, { relaxedSimd: false } as object)).info().features).toEqual(['simd']);
  });

  it('after dispose(), run() is a typed error', async () => {
    const g = buildModel('lenet5');
    const exe = await wasm.compile(g, { threads: 2 });
    exe.dispose();
    await expect(exe.run(seededInput(g))).rejects.toThrow(ExecutableError);
  });
});

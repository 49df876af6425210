import { describe, expect, it } from 'vitest';
import type { OpType } from '../src/graph/graph.js';
import '../src/backends/register-all.js';
import { getBackend } from '../src/backends/registry.js';
import { buildModel, ExecutableError, InputError, type Graph } from '../src/index.js';
import { optimizeGraph } from '../src/plan/passes.js';
import { mulberry32 } from '../src/graph/weight-init.js';
import { type Attrs, expectOutputsAgree, fusedGraphs, graphOf, node, pool, seededFeeds, single, specials, tolerance } from './helpers/op-cases.js';

const ref = getBackend('reference');

function randomInput(g: Graph, seed = 7): Float32Array {
  const shape = g.inputs[0].shape;
  const next = mulberry32(seed);
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => next() * 2 - 1);
}

function maxAbs(a: Float32Array): number {
  return a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('reference backend', () => {
  it('runs LeNet-5 and reports what ran, its memory and per-node times', async () => {
    const g = buildModel('lenet5', { batch: 3 });
    const exe = await ref.compile(g);
    const out = await exe.run(randomInput(g));
    const y = out[g.outputs[0]];
    expect(y.shape).toEqual([3, 10]);
    expect(y.data.every(Number.isFinite)).toBe(true);
    expect(exe.info()).toEqual({ backend: 'reference', features: [], threads: 1, fallbackNodes: [] });
    const m = exe.memory();
    expect(m.arenaBytes).toBeGreaterThanOrEqual(m.peakBytes);
    expect(m.weightBytes).toBe(61_706 * 4);
    expect(exe.profile().map((p) => p.op)).toEqual(['conv2d', 'tanh', 'avgpool', 'conv2d', 'tanh', 'avgpool', 'flatten', 'fc', 'tanh', 'fc', 'tanh', 'fc']);
    exe.dispose();
    await expect(exe.run(randomInput(g))).rejects.toThrow(ExecutableError);
  });

  it('the graph passes change no output: BN folding and activation fusion agree with the plain graph', async () => {
    for (const [name, side] of [['resnet18', 64], ['mobilenetv2', 64], ['googlenet', 64], ['alexnet', 227]] as const) {
      const g = buildModel(name, { batch: name === 'alexnet' ? 1 : 2, height: side, width: side });
      const x = randomInput(g);
      const plain = await ref.compile(g, { optimize: false });
      const fast = await ref.compile(g);
      const a = (await plain.run(x))[g.outputs[0]].data;
      const b = (await fast.run(x))[g.outputs[0]].data;
      expect(maxDiff(a, b), name).toBeLessThanOrEqual(1e-5 * maxAbs(a));
      expect(fast.profile().length).toBeLessThan(plain.profile().length);
    }
  });

  it('optimizeGraph folds every batch norm of ResNet-50 and fuses its ReLUs', () => {
    const g = buildModel('resnet50');
    const { graph, report } = optimizeGraph(g);
    expect(report.foldedBatchNorms.length).toBe(53);
    expect(graph.nodes.some((n) => n.op === 'batchnorm')).toBe(false);
    // Each block's add folds into its last conv, and the ReLU after it follows.
    expect(report.fusedResiduals.length).toBe(16);
    expect(graph.nodes.filter((n) => n.op === 'relu' || n.op === 'add').length).toBe(0);
    expect(graph.nodes.map((n) => n.op).filter((op) => op !== 'conv2d')).toEqual(['maxpool', 'globalavgpool', 'flatten', 'fc']);
    expect(graph.outputs).toEqual(g.outputs);
  });

  it('a run with a wrong input is a typed error naming the input and the shapes', async () => {
    const g = buildModel('lenet5');
    const exe = await ref.compile(g);
    await expect(exe.run({ input: { shape: [1, 1, 28, 28], data: new Float32Array(784) } })).rejects.toThrow(
      /input 'input': expected shape \[1, 1, 32, 32\], found \[1, 1, 28, 28\]/,
    );
    await expect(exe.run(new Float32Array(5))).rejects.toThrow(InputError);
    await expect(exe.run({ image: new Float32Array(1024) })).rejects.toThrow(/unknown input 'image'/);
  });

  it('arena memory is stable across runs: the same buffers are reused', async () => {
    const g = buildModel('resnet18', { height: 32, width: 32 });
    const exe = await ref.compile(g);
    const x = randomInput(g);
    const first = (await exe.run(x))[g.outputs[0]].data;
    for (let i = 0; i < 3; i++) expect((await exe.run(x))[g.outputs[0]].data).toEqual(first);
    expect(exe.memory().arenaBytes).toBeLessThan(2 * exe.memory().peakBytes);
  });
});

/**
 * The oracle's rules for NaN and infinities (issue 11), pinned to what PyTorch 1.13 (Debian
 * python3-torch, CPU, float32) gives for the same inputs; the values below were printed by
 * it. Every backend is then held to the reference on these inputs by the shared op cases
 * (test/helpers/op-cases.ts).
 */
describe('reference backend: NaN and infinities as PyTorch and ONNX give them', () => {
  const X = [NaN, Infinity, -Infinity, -0, 0, -1, 2];

  /** The graph's output for these inputs, with and without the graph passes (which must agree). */
  async function run(g: Graph, ...inputs: number[][]): Promise<number[]> {
    const feeds = Object.fromEntries(g.inputs.map((inp, i) => [inp.name, Float32Array.from(inputs[i])]));
    const [plain, optimized] = await Promise.all([false, true].map(async (optimize) => {
      const exe = await ref.compile(g, { optimize });
      const out = Array.from((await exe.run(feeds))[g.outputs[0]].data);
      exe.dispose();
      return out;
    }));
    expectLike(optimized, plain);
    return plain;
  }

  /** Non-finite values exactly, finite ones to 1e-6 relative (the sign of a zero aside). */
  function expectLike(got: number[], want: number[]): void {
    expect(got.length).toBe(want.length);
    const bad = want.flatMap((w, i) => {
      const g = got[i];
      const ok = Number.isFinite(w) ? Math.abs(g - w) <= 1e-6 * Math.max(1, Math.abs(w)) : Object.is(g, w) || (Number.isNaN(g) && Number.isNaN(w));
      return ok ? [] : [`[${i}]: got ${g}, want ${w}`];
    });
    expect(bad).toEqual([]);
  }

  it('relu, clip, relu6, leakyrelu keep NaN; sigmoid and tanh saturate at +-inf', async () => {
    const cases: [OpType, Attrs, number[]][] = [
      ['relu', {}, [NaN, Infinity, 0, -0, 0, 0, 2]],
      ['clip', { min: -0.5, max: 1 }, [NaN, 1, -0.5, -0, 0, -0.5, 1]],
      ['clip', { min: 0, max: 6 }, [NaN, 6, 0, -0, 0, 0, 2]],
      ['leakyrelu', { alpha: 0.1 }, [NaN, Infinity, -Infinity, -0, 0, -0.10000000149011612, 2]],
      ['leakyrelu', { alpha: -2 }, [NaN, Infinity, Infinity, 0, -0, 2, 2]],
      ['sigmoid', {}, [NaN, 1, 0, 0.5, 0.5, 0.2689414322376251, 0.8807970285415649]],
      ['tanh', {}, [NaN, 1, -1, -0, 0, -0.7615941762924194, 0.9640275835990906]],
    ];
    for (const [op, attrs, want] of cases) expectLike(await run(single(op, [[7]], attrs), X), want);
  });

  it("hardsigmoid, hardswish, silu, gelu, erf, sqrt: PyTorch 1.13's values at NaN, +-inf, +-0, -1, 2", async () => {
    // torch.nn.functional.hardsigmoid / hardswish / silu / gelu, torch.erf, torch.sqrt of X;
    // ONNX's default HardSigmoid (alpha 0.2) as torch.clamp(0.2 x + 0.5, 0, 1).
    const cases: [OpType, Attrs, number[]][] = [
      ['hardsigmoid', { alpha: 1 / 6, beta: 0.5 }, [NaN, 1, 0, 0.5, 0.5, 0.3333333432674408, 0.8333333134651184]],
      ['hardsigmoid', { alpha: 0.2, beta: 0.5 }, [NaN, 1, 0, 0.5, 0.5, 0.30000001192092896, 0.8999999761581421]],
      ['hardswish', {}, [NaN, Infinity, NaN, -0, 0, -0.3333333432674408, 1.6666666269302368]],
      ['silu', {}, [NaN, Infinity, NaN, -0, 0, -0.2689414322376251, 1.7615940570831299]],
      ['gelu', {}, [NaN, Infinity, NaN, 0, 0, -0.1586552858352661, 1.9544999599456787]],
      ['erf', {}, [NaN, 1, -1, -0, 0, -0.8427007794380188, 0.9953222870826721]],
      ['sqrt', {}, [NaN, Infinity, NaN, -0, 0, NaN, 1.4142135381698608]],
    ];
    for (const [op, attrs, want] of cases) expectLike(await run(single(op, [[7]], attrs), X), want);
  });

  it("pow follows C's rules where JavaScript's differ (torch 1.13's values)", async () => {
    // torch.pow([1, -1, nan, -2, -2, 0, 0], [nan, inf, 0, 3, 0.5, -1, -3])
    const got = await run(single('pow', [[7], [7]]), [1, -1, NaN, -2, -2, 0, 0], [NaN, Infinity, 0, 3, 0.5, -1, -3]);
    expectLike(got, [1, 1, 1, -8, NaN, Infinity, Infinity]);
  });

  it('fused into a conv or fc epilogue, they keep NaN too: relu(conv2d(x)) = NaN where x is', async () => {
    const conv = graphOf({ x: [1, 1, 2, 2] }, [
      node('c', 'conv2d', ['x', 'w'], { kernel: [1, 1], stride: [1, 1], pads: [0, 0, 0, 0], dilation: [1, 1], groups: 1 }),
      node('y', 'relu', ['c']),
    ], undefined, [{ name: 'w', shape: [1, 1, 1, 1], trainable: true, init: { seed: 1, low: 1, high: 1 } }]);
    expect(optimizeGraph(conv).report.fusedActivations).toEqual(['y']);
    expectLike(await run(conv, [NaN, 1, -2, 3]), [NaN, 1, 0, 3]);
    const fc = graphOf({ x: [1, 3] }, [node('f', 'fc', ['x', 'w']), node('y', 'clip', ['f'], { min: 0, max: 6 })], undefined, [
      { name: 'w', shape: [3, 3], trainable: true, init: { seed: 1, low: 1, high: 1 } },
    ]);
    expect(optimizeGraph(fc).report.fusedActivations).toEqual(['y']);
    expectLike(await run(fc, [NaN, 1, 2]), [NaN, NaN, NaN]);
  });

  it('softmax: a -inf is 0; a row with +inf or NaN, or only -inf, is all NaN', async () => {
    const rows: [number[], number[]][] = [
      [[1, Infinity, 2], [NaN, NaN, NaN]],
      [[1, NaN, 2], [NaN, NaN, NaN]],
      [[1, -Infinity, 2], [0.2689414322376251, 0, 0.7310585975646973]],
      [[-Infinity, -Infinity, -Infinity], [NaN, NaN, NaN]],
      [[Infinity, Infinity, 1], [NaN, NaN, NaN]],
    ];
    for (const [x, want] of rows) expectLike(await run(single('softmax', [[1, 3]], { axis: 1 }), x), want);
  });

  it('lrn follows its formula: a NaN in the window is NaN, an infinity zeroes its neighbours and is NaN itself', async () => {
    const attrs = { size: 3, alpha: 1e-4, beta: 0.75, bias: 1 };
    expectLike(await run(single('lrn', [[1, 3, 1, 1]], attrs), [1, NaN, 2]), [NaN, NaN, NaN]);
    expectLike(await run(single('lrn', [[1, 5, 1, 1]], attrs), [1, NaN, 2, 3, 4]), [NaN, NaN, NaN, 2.9978268146514893, 3.9975016117095947]);
    expectLike(await run(single('lrn', [[1, 5, 1, 1]], attrs), [1, Infinity, 2, 3, 4]), [0, NaN, 0, 2.9978268146514893, 3.9975016117095947]);
  });

  it('max pooling propagates NaN (global too); average pooling sums NaN and inf + -inf to NaN', async () => {
    const k = (n: number) => pool([n, n], [n, n], [0, 0, 0, 0]);
    expectLike(await run(single('maxpool', [[1, 1, 2, 2]], k(2)), [1, NaN, 3, -Infinity]), [NaN]);
    expectLike(await run(single('maxpool', [[1, 1, 2, 2]], k(1)), [1, NaN, 3, -Infinity]), [1, NaN, 3, -Infinity]);
    expectLike(await run(single('maxpool', [[1, 1, 2, 2]], k(2)), [-Infinity, -Infinity, -Infinity, -Infinity]), [-Infinity]);
    expectLike(await run(single('globalmaxpool', [[1, 1, 2, 2]]), [NaN, 1, 2, 3]), [NaN]);
    expectLike(await run(single('avgpool', [[1, 1, 2, 2]], k(1)), [NaN, 1, 2, 3]), [NaN, 1, 2, 3]);
    expectLike(await run(single('avgpool', [[1, 1, 2, 2]], k(2)), [Infinity, -Infinity, 2, 3]), [NaN]);
  });

  it('average pooling over a window wholly in the padding: 0/0 = NaN without count_include_pad (ONNX), 0 with it', async () => {
    const attrs = pool([2, 2], [1, 1], [2, 2, 2, 2]);
    const x = [1, 2, 3, 4];
    const without = await run(single('avgpool', [[1, 1, 2, 2]], { ...attrs, countIncludePad: false }), x);
    const withPad = await run(single('avgpool', [[1, 1, 2, 2]], { ...attrs, countIncludePad: true }), x);
    // 5 x 5 outputs; the first (window rows -2..-1, columns -2..-1) sees no input.
    expect(without).toHaveLength(25);
    expect(without[0]).toBeNaN();
    expect(withPad[0]).toBe(0);
    expect(without[12]).toBe(2.5); // the middle window holds the whole input
  });

  it('fused and unfused graphs agree on inputs with NaN and infinities', async () => {
    for (const [label, g] of fusedGraphs()) {
      const feeds = seededFeeds(g, { edit: specials(29) });
      const plain = await ref.compile(g, { optimize: false });
      const fused = await ref.compile(g);
      const want = await plain.run(feeds);
      const got = await fused.run(feeds);
      plain.dispose();
      fused.dispose();
      expect(fused.profile().length, label).toBeLessThan(plain.profile().length);
      expectOutputsAgree(g.outputs, got, want, tolerance(g, feeds, 'reference'), false, true);
    }
  });
});

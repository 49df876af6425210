import { describe, expect, it } from 'vitest';
import '../src/backends/register-all.js';
import { getBackend } from '../src/backends/registry.js';
import { buildModel, ExecutableError, InputError, type Graph } from '../src/index.js';
import { optimizeGraph } from '../src/plan/passes.js';
import { mulberry32 } from '../src/graph/weight-init.js';

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

/**
 * LayerNorm as PyTorch exports it (issue 13): a tiny ConvNeXt-like model ("tinyln": a stem
 * conv and a LayerNorm2d over channels-first, a block with a channels-last LayerNorm +
 * Linear + GELU + Linear + layer scale and a residual, a mean over [2, 3]) exported by
 * scripts/export_torch_models.py at opset 13 (each LayerNorm decomposed into ReduceMean, Sub,
 * Pow, ReduceMean, Add, Sqrt, Div, Mul, Add) and at opset 17 (LayerNormalization). The graph
 * passes must make each LayerNorm one layernorm node and run the channels-last block
 * channels-first with no transpose; every backend must match PyTorch within 1e-4 of the
 * largest output.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../src/backends/register-all.js';
import { getBackend } from '../src/backends/registry.js';
import { releaseSharedGpu } from '../src/backends/webgpu/webgpu-backend.js';
import type { Graph } from '../src/graph/graph.js';
import type { NpyArray } from '../src/io/npy.js';
import { optimizeGraph } from '../src/plan/passes.js';
import { constant, expectOutputsAgree, graphOf, node, seededFeeds, tolerance } from './helpers/op-cases.js';
import { exportTorchModels, itMatchesPytorch, loadTorchCase } from './helpers/torch-models.js';

afterAll(() => releaseSharedGpu());

const MODELS = ['tinyln', 'tinyln17'];

let dir: string | undefined;
beforeAll(() => {
  dir = exportTorchModels('torch-models-layernorm', MODELS);
}, 900_000);

for (const model of MODELS) {
  describe(model, () => {
    let graph: Graph | undefined;
    let input: NpyArray;
    let expected: NpyArray;

    beforeAll(async () => {
      if (!dir) return;
      ({ graph, input, expected } = await loadTorchCase(dir, model));
    }, 300_000);

    it('each LayerNorm is one layernorm node, the channels-last block runs channels-first as 1x1 convs', (ctx) => {
      if (!graph) return ctx.skip();
      const imported = graph.nodes.map((n) => n.op);
      if (model === 'tinyln') {
        // The decomposed pattern, twice; the mean over [2, 3] is a global pooling.
        expect(imported.filter((op) => op === 'reducemean')).toHaveLength(4);
        expect(imported).not.toContain('layernorm');
      } else {
        expect(imported.filter((op) => op === 'layernorm')).toHaveLength(2);
        expect(imported).not.toContain('reducemean');
      }
      expect(imported).toContain('globalavgpool');
      const { graph: g, report } = optimizeGraph(graph);
      const ops = g.nodes.map((n) => n.op);
      expect(ops.filter((op) => op === 'layernorm')).toHaveLength(2);
      for (const gone of ['reducemean', 'sub', 'pow', 'sqrt', 'div', 'transpose']) expect(ops).not.toContain(gone);
      expect(report.layerNorms ?? []).toHaveLength(model === 'tinyln' ? 2 : 0);
      expect(report.channelsFirst ?? []).toHaveLength(2);
      // LayerNorm2d over channels and the block's LayerNorm: both over axis 1 of NCHW.
      for (const n of g.nodes.filter((x) => x.op === 'layernorm')) expect(n.attrs).toMatchObject({ axis: 1, count: 1 });
      // Linear(C -> 4C) and Linear(4C -> C) as 1x1 convs, bias and layer scale folded, the residual in the second's epilogue.
      const convs = g.nodes.filter((n) => n.op === 'conv2d' && (n.attrs as { kernel: number[] }).kernel.join() === '1,1');
      expect(convs).toHaveLength(2);
      expect(convs[1].inputs).toHaveLength(4);
      expect(report.fusedResiduals).toHaveLength(1);
    });

    itMatchesPytorch(model, () => (graph ? { graph, input, expected } : undefined), { optimize: [true, false], timeout: 300_000 });
  });
}

describe('layer-norm passes on small graphs', () => {
  /** Runs g on the reference backend with and without the passes; they must agree. */
  const agreeOptimized = async (g: Graph) => {
    const feeds = seededFeeds(g);
    const ref = getBackend('reference');
    const plain = await (await ref.compile(g, { optimize: false })).run(feeds);
    const optimized = await (await ref.compile(g, { optimize: true })).run(feeds);
    expectOutputsAgree(g.outputs, optimized, plain, tolerance(g, feeds, 'reference'));
  };
  const x = { x: [2, 6, 3, 5] };
  const ln = (name: string, input: string) => node(name, 'layernorm', [input, 'lnw', 'lnb'], { axis: 3, count: 0, epsilon: 1e-5 });
  const lnParams = [constant('lnw', [6], 0.5, 1.5), constant('lnb', [6])];

  it('Transpose -> layernorm (last axis) -> Transpose becomes one layernorm over axis 1', async () => {
    const g = graphOf(x, [node('t1', 'transpose', ['x'], { perm: [0, 2, 3, 1] }), ln('n', 't1'), node('t2', 'transpose', ['n'], { perm: [0, 3, 1, 2] }), node('y', 'relu', ['t2'])], ['y'], lnParams);
    const { graph: o, report } = optimizeGraph(g);
    expect(o.nodes.map((n) => n.op)).toEqual(['layernorm', 'relu']);
    expect(o.nodes[0].attrs).toMatchObject({ axis: 1, count: 1 });
    expect(report.channelsFirst).toEqual(['t1']);
    await agreeOptimized(g);
  });

  it('leaves a region alone when a channels-last tensor is a graph output or leaves other than by Transpose [0, 3, 1, 2]', () => {
    const asOutput = graphOf(x, [node('t1', 'transpose', ['x'], { perm: [0, 2, 3, 1] }), ln('n', 't1'), node('t2', 'transpose', ['n'], { perm: [0, 3, 1, 2] })], ['t2', 'n'], lnParams);
    expect(optimizeGraph(asOutput).graph.nodes.map((n) => n.op)).toEqual(['transpose', 'layernorm', 'transpose']);
    const otherExit = graphOf(x, [node('t1', 'transpose', ['x'], { perm: [0, 2, 3, 1] }), ln('n', 't1'), node('t2', 'transpose', ['n'], { perm: [0, 3, 2, 1] })], ['t2'], lnParams);
    expect(optimizeGraph(otherExit).graph.nodes.map((n) => n.op)).toEqual(['transpose', 'layernorm', 'transpose']);
  });

  it('a per-channel constant Mul after a conv folds into its weights, and the residual add then joins the epilogue', async () => {
    const conv = { kernel: [1, 1], stride: [1, 1], pads: [0, 0, 0, 0], dilation: [1, 1], groups: 1 };
    const g = graphOf(x, [node('c', 'conv2d', ['x', 'w', 'b'], conv), node('m', 'mul', ['gamma', 'c']), node('y', 'add', ['m', 'x'])], ['y'], [
      constant('w', [6, 6, 1, 1]), constant('b', [6]), constant('gamma', [6, 1, 1], 0.1, 0.5),
    ]);
    const { graph: o, report } = optimizeGraph(g);
    expect(o.nodes.map((n) => n.op)).toEqual(['conv2d']);
    expect(report.channelScales).toEqual(['m']);
    expect(report.fusedResiduals).toEqual(['y']);
    await agreeOptimized(g);
  });

  it("a Linear over the last axis of an N-d tensor (Reshape -> fc -> Reshape -> Add(bias)) takes the bias into the fc", async () => {
    const g = graphOf({ x: [2, 4, 3] }, [
      node('r', 'reshape', ['x'], { shape: [-1, 3], allowzero: false }), node('f', 'fc', ['r', 'W']),
      node('b', 'reshape', ['f'], { shape: [2, 4, 5], allowzero: false }), node('a', 'add', ['bias', 'b']), node('y', 'relu', ['a']),
    ], ['y'], [constant('W', [5, 3]), constant('bias', [5])]);
    const { graph: o, report } = optimizeGraph(g);
    expect(o.nodes.map((n) => n.op)).toEqual(['reshape', 'fc', 'reshape', 'relu']);
    expect(o.nodes[1].inputs).toEqual(['r', 'W', 'bias']);
    expect(report.linearBiases).toEqual(['a']);
    await agreeOptimized(g);
  });
});

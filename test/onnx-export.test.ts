/**
 * Zoo models exported to ONNX run on onnxruntime (an outside oracle) and agree with
 * webconv; re-importing the export gives the same graph costs.
 */
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import '../src/backends/register-all.js';
import { getBackend } from '../src/backends/registry.js';
import { buildModel, costTable, importOnnx, type Graph } from '../src/index.js';
import { exportOnnx } from '../src/onnx/export.js';
import { mulberry32 } from '../src/graph/weight-init.js';
import { constant, graphOf, node, TOLERANCES } from './helpers/op-cases.js';
import { optimizeGraph } from '../src/plan/passes.js';

ort.env.wasm.numThreads = 1;

function input(g: Graph): Float32Array {
  const next = mulberry32(5);
  return Float32Array.from({ length: g.inputs[0].shape.reduce((a, b) => a * b, 1) }, () => next() * 2 - 1);
}

const CASES: [string, number | undefined][] = [
  ['lenet5', undefined], ['alexnet-paper', undefined], ['resnet18', 64], ['resnet50-d', 64], ['mobilenetv2', 96],
  ['googlenet', 96], ['inception-v3', 139], ['vgg-a-lrn', 64],
];

describe('zoo models through ONNX on onnxruntime', () => {
  for (const [name, side] of CASES) {
    it(`${name}: onnxruntime's output equals webconv's (reference and wasm)`, async () => {
      // Batch 2 where the reference backend is quick; AlexNet at its own size at batch 1. VGG-A
      // with LRN runs at 64x64 (its ops and 40M parameters; the flatten adapts to the input).
      const g = buildModel(name, { batch: side || name === 'lenet5' ? 2 : 1, height: side, width: side });
      const bytes = exportOnnx(g);
      const again = importOnnx(bytes, { batch: g.inputs[0].shape[0] });
      expect(costTable(again).totals.macs).toBe(costTable(g).totals.macs);
      expect(costTable(again).totals.params).toBe(costTable(g).totals.params);
      const x = input(g);
      const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
      const theirs = (await session.run({ [g.inputs[0].name]: new ort.Tensor('float32', x, [...g.inputs[0].shape]) }))[g.outputs[0]].data as Float32Array;
      await session.release();
      const maxRef = theirs.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      expect(maxRef).toBeGreaterThan(0);
      for (const backend of ['reference', 'wasm']) {
        const exe = await getBackend(backend).compile(g, { fallback: true });
        const ours = (await exe.run(x))[g.outputs[0]].data;
        exe.dispose();
        let err = 0;
        for (let i = 0; i < ours.length; i++) err = Math.max(err, Math.abs(ours[i] - theirs[i]));
        expect(err, `${name} on ${backend}`).toBeLessThanOrEqual(TOLERANCES.model.relative * maxRef);
      }
    }, 300_000);
  }
});

describe('issue 13 pointwise ops through ONNX on onnxruntime', () => {
  it('hardswish, silu, gelu, hardsigmoid, erf, sqrt, sub, div, pow, plain and fused into conv / fc epilogues, exported at opset 13', async () => {
    const convAttrs = { kernel: [3, 3], stride: [1, 1], pads: [1, 1, 1, 1], dilation: [1, 1], groups: 1 };
    const g = graphOf({ x: [2, 3, 6, 5] }, [
      node('c1', 'conv2d', ['x', 'w1', 'b1'], convAttrs), node('a1', 'hardswish', ['c1']),
      node('c2', 'conv2d', ['a1', 'w2', 'b2'], convAttrs), node('a2', 'silu', ['c2']),
      node('c3', 'conv2d', ['a2', 'w3', 'b3'], { ...convAttrs, groups: 4 }), node('a3', 'gelu', ['c3']),
      node('hg', 'hardsigmoid', ['a3'], { alpha: 0.2, beta: 0.5 }), node('er', 'erf', ['a3']), node('sq', 'sqrt', ['hg']),
      node('sb', 'sub', ['sq', 'er']), node('pw', 'pow', ['hg', 'hg']), node('ad', 'add', ['pw', 'k']), node('dv', 'div', ['sb', 'ad']),
      node('p', 'globalavgpool', ['dv']), node('f', 'flatten', ['p'], { axis: 1 }), node('fc', 'fc', ['f', 'fw', 'fb']), node('y', 'hardsigmoid', ['fc'], { alpha: 1 / 6, beta: 0.5 }),
    ], undefined, [
      constant('w1', [4, 3, 3, 3], -0.5, 0.5), constant('b1', [4]), constant('w2', [4, 4, 3, 3], -0.5, 0.5), constant('b2', [4]),
      constant('w3', [4, 1, 3, 3], -0.5, 0.5), constant('b3', [4]), constant('k', [4, 1, 1], 1, 1.5), constant('fw', [5, 4], -0.5, 0.5), constant('fb', [5]),
    ]);
    const optimized = optimizeGraph(g).graph;
    expect(optimized.nodes.filter((n) => (n.attrs as { activation?: unknown }).activation).map((n) => n.name)).toEqual(['c1', 'c2', 'c3', 'fc']);
    const x = input(g);
    const want = (await (await getBackend('reference').compile(g, { optimize: false })).run(x))[g.outputs[0]].data;
    const maxRef = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    for (const graph of [g, optimized]) {
      const session = await ort.InferenceSession.create(exportOnnx(graph), { executionProviders: ['wasm'] });
      const theirs = (await session.run({ x: new ort.Tensor('float32', x, [...g.inputs[0].shape]) }))[graph.outputs[0]].data as Float32Array;
      await session.release();
      let err = 0;
      for (let i = 0; i < want.length; i++) err = Math.max(err, Math.abs(want[i] - theirs[i]));
      expect(err).toBeLessThanOrEqual(TOLERANCES.model.relative * maxRef);
    }
  });
});

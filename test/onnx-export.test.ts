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
import { TOLERANCES } from './helpers/op-cases.js';

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

/**
 * End to end against PyTorch: torchvision's ResNet-18, VGG-11 and GoogLeNet (random weights,
 * non-trivial batch-norm statistics) exported to ONNX by scripts/export_torch_models.py,
 * imported, and run on every registered backend; the logits must match PyTorch's.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../src/backends/register-all.js';
import { backendNames, getBackend } from '../src/backends/registry.js';
import { releaseSharedGpu } from '../src/backends/webgpu/webgpu-backend.js';
import type { Graph } from '../src/graph/graph.js';
import { parseNpy, type NpyArray } from '../src/io/npy.js';
import { loadOnnxFile } from '../src/onnx/load-file.js';
import { requireOracle } from './helpers/python.js';
import { TOLERANCES } from './helpers/op-cases.js';
import { exportTorchModels } from './helpers/torch-models.js';

afterAll(() => releaseSharedGpu());

/** ResNet-18 and GoogLeNet at 112x112 (global pooling adapts), VGG-11 at 224 (its 7x7 adaptive pool is then the identity). */
const MODELS = ['resnet18_112', 'vgg11', 'googlenet_112'];
/** Max abs error allowed, relative to the largest |logit| PyTorch gives. */
const TOLERANCE = TOLERANCES.model.relative;

let dir: string | undefined;
beforeAll(() => {
  dir = exportTorchModels('torch-models', MODELS);
}, 900_000);

for (const model of MODELS) {
  describe(model, () => {
    let graph: Graph | undefined;
    let input: NpyArray;
    let expected: NpyArray;

    beforeAll(async () => {
      if (!dir) return;
      input = parseNpy(readFileSync(join(dir, `${model}.input.npy`)));
      expected = parseNpy(readFileSync(join(dir, `${model}.output.npy`)));
      graph = await loadOnnxFile(join(dir, `${model}.onnx`), { batch: input.shape[0] });
    }, 300_000);
    // VGG-11's weights are 530 MB: let each model go before the next loads.
    afterAll(() => {
      graph = undefined;
    });

    for (const backendName of backendNames()) {
      it(`matches PyTorch on the ${backendName} backend`, async (ctx) => {
        if (!graph) return ctx.skip();
        const backend = getBackend(backendName);
        if (!requireOracle(await backend.isAvailable(), `the ${backendName} backend`, 'see README (backends)')) return ctx.skip();
        const exe = await backend.compile(graph);
        try {
          const start = performance.now();
          const outputs = await exe.run({ [graph.inputs[0].name]: input });
          const ms = performance.now() - start;
          const y = outputs[exe.outputs[0].name];
          expect([...y.shape]).toEqual(expected.shape);
          let maxRef = 0;
          let maxErr = 0;
          for (let i = 0; i < y.data.length; i++) {
            maxRef = Math.max(maxRef, Math.abs(expected.data[i]));
            maxErr = Math.max(maxErr, Math.abs(y.data[i] - expected.data[i]));
          }
          console.log(`${model} on ${backendName}: max abs error ${maxErr.toExponential(2)} (max |logit| ${maxRef.toFixed(4)}), run ${(ms / 1000).toFixed(1)} s`);
          expect(maxErr).toBeLessThanOrEqual(TOLERANCE * maxRef);
        } finally {
          exe.dispose();
        }
      }, 900_000);
    }
  });
}

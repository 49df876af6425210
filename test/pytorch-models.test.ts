/**
 * End to end against PyTorch: torchvision's ResNet-18, VGG-11 and GoogLeNet (random weights,
 * non-trivial batch-norm statistics) exported to ONNX by scripts/export_torch_models.py,
 * imported, and run on every registered backend; the logits must match PyTorch's.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import '../src/backends/register-all.js';
import { releaseSharedGpu } from '../src/backends/webgpu/webgpu-backend.js';
import type { Graph } from '../src/graph/graph.js';
import type { NpyArray } from '../src/io/npy.js';
import { exportTorchModels, itMatchesPytorch, loadTorchCase } from './helpers/torch-models.js';

afterAll(() => releaseSharedGpu());

/** ResNet-18 and GoogLeNet at 112x112 (global pooling adapts), VGG-11 at 224 (its 7x7 adaptive pool is then the identity). */
const MODELS = ['resnet18_112', 'vgg11', 'googlenet_112'];

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
      ({ graph, input, expected } = await loadTorchCase(dir, model));
    }, 300_000);
    // VGG-11's weights are 530 MB: let each model go before the next loads.
    afterAll(() => {
      graph = undefined;
    });

    itMatchesPytorch(model, () => (graph ? { graph, input, expected } : undefined), { timeout: 900_000 });
  });
}

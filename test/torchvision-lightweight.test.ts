/**
 * torchvision's lightweight classifiers end to end against PyTorch (issue 13): MobileNetV3
 * Small and Large, MNASNet 0.5 and 1.0, ShuffleNetV2 0.5x, EfficientNet-B0 and -B1 and
 * ConvNeXt-Tiny, with random weights and non-trivial BN / LayerNorm / layer-scale values,
 * exported by scripts/export_torch_models.py (torch 1.13, opset 13) at other widths,
 * resolutions and batch sizes than the zoo's, half with their BatchNormalization nodes and
 * half with torch.onnx.export's defaults (BN folded by torch). Each imports, and its logits
 * match PyTorch's within the 'model' tolerance on every backend in Node, and for one model
 * of each family on WebGPU in headless Chromium (ConvNeXt: the zoo's); the cost table of an export that keeps its
 * batch norms is the zoo model's (params and MACs).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../src/backends/register-all.js';
import { releaseSharedGpu } from '../src/backends/webgpu/webgpu-backend.js';
import type { Graph } from '../src/graph/graph.js';
import { parseNpy } from '../src/io/npy.js';
import { buildModel, costTable } from '../src/index.js';
import { loadOnnxFile } from '../src/onnx/load-file.js';
import { useWebgpuPage } from './helpers/browser.js';
import { TOLERANCES } from './helpers/op-cases.js';
import { requireOracle } from './helpers/python.js';
import { exportTorchModels, itMatchesPytorch, relativeError } from './helpers/torch-models.js';

afterAll(() => releaseSharedGpu());

/** The exports (scripts/export_torch_models.py's LIGHTWEIGHT), and which run in Chromium too. */
const MODELS: readonly [name: string, browser: boolean][] = [
  ['mobilenet_v3_small', true],
  ['mobilenet_v3_large', false],
  ['mnasnet0_5', false],
  ['mnasnet1_0', false],
  ['shufflenet_v2_x0_5', true],
  ['efficientnet_b0', true],
  ['efficientnet_b1', false],
  // In Chromium its 114 MB file crashed the page's renderer; the zoo's ConvNeXt-T runs there
  // (zoo-browser.test.ts), and this export in Node.
  ['convnext_tiny', false],
];

let dir: string | undefined;
beforeAll(() => {
  dir = exportTorchModels('torch-lightweight', MODELS.map(([m]) => m));
}, 900_000);

const load = (model: string) => ({
  input: parseNpy(readFileSync(join(dir!, `${model}.input.npy`))),
  expected: parseNpy(readFileSync(join(dir!, `${model}.output.npy`))),
});

for (const [model] of MODELS) {
  describe(model, () => {
    let graph: Graph | undefined;
    beforeAll(async () => {
      if (dir) graph = await loadOnnxFile(join(dir, `${model}.onnx`), { batch: load(model).input.shape[0] });
    }, 300_000);

    itMatchesPytorch(model, () => (graph && dir ? { graph, ...load(model) } : undefined), { timeout: 300_000 });
  });
}

describe("the exported file's cost table is the zoo model's", () => {
  // The exports that keep their batch norms, against the zoo's build at the same size.
  const PAIRS: [file: string, zoo: string][] = [['mobilenet_v3_small', 'mobilenetv3-small'], ['efficientnet_b0', 'efficientnet-b0'], ['convnext_tiny', 'convnext-tiny']];
  for (const [file, zoo] of PAIRS) {
    it(`${file}: the params and MACs of ${zoo}`, async (ctx) => {
      if (!dir) return ctx.skip();
      const { input } = load(file);
      const g = await loadOnnxFile(join(dir, `${file}.onnx`), { batch: input.shape[0] });
      const [, , height, width] = input.shape;
      const ours = costTable(g).totals;
      const want = costTable(buildModel(zoo, { batch: input.shape[0], height, width })).totals;
      expect({ params: ours.params, macs: ours.macs }).toEqual({ params: want.params, macs: want.macs });
    }, 120_000);
  }
});

/** Runs in the page, as text: imports the ONNX file the test serves, runs it on WebGPU. */
const RUN_IN_PAGE = `async (model, batch, input) => {
  const wc = await import('/webconv.browser.js');
  const bytes = new Uint8Array(await (await fetch('/torch/' + model + '.onnx')).arrayBuffer());
  const g = wc.importOnnx(bytes, { batch });
  const exe = await wc.getBackend('webgpu').compile(g);
  try {
    const out = await exe.run({ [g.inputs[0].name]: new Float32Array(input) });
    return { output: Array.from(out[exe.outputs[0].name].data), info: exe.info() };
  } finally {
    exe.dispose();
  }
}`;

describe('in headless Chromium on WebGPU', () => {
  const gpu = useWebgpuPage();
  beforeAll(async () => {
    const page = gpu.page;
    if (!page || gpu.why() || !dir) return;
    // The page fetches /torch/<model>.onnx: served from the export directory.
    await page.page.setRequestInterception(true);
    page.page.on('request', (req) => {
      const m = /\/torch\/([\w.]+\.onnx)$/.exec(req.url());
      if (!m) return void req.continue();
      void req.respond({ status: 200, contentType: 'application/octet-stream', body: readFileSync(join(dir!, m[1])) });
    });
  }, 60_000);

  it('has Chromium with a WebGPU adapter (required under CI)', (ctx) => {
    if (!requireOracle(!gpu.why(), `WebGPU in headless Chromium (${gpu.why()})`, "Debian's chromium package and the npm package puppeteer-core")) return ctx.skip();
  });
  for (const [model] of MODELS.filter(([, browser]) => browser)) {
    it(`${model} matches PyTorch`, async (ctx) => {
      const page = gpu.page;
      if (!page || gpu.why() || !dir) return ctx.skip();
      const { input, expected } = load(model);
      const args = JSON.stringify([model, input.shape[0], Array.from(input.data)]);
      const got = (await page.page.evaluate(`(${RUN_IN_PAGE})(...${args})`).catch((e: Error) => {
        throw new Error(`${e.message}; the page's console: ${page.log.slice(-5).join(' | ')}`);
      })) as { output: number[]; info: { backend: string; fallbackNodes: string[] } };
      expect(relativeError(got.output, expected)).toBeLessThanOrEqual(TOLERANCES.model.relative);
      expect(got.info.backend).toBe('webgpu');
      expect(got.info.fallbackNodes).toEqual([]);
    }, 300_000);
  }
});

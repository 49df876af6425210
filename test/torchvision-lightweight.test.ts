/**
 * torchvision's lightweight classifiers end to end against PyTorch (issue 13): MobileNetV3
 * Small and Large, MNASNet 0.5 and 1.0, ShuffleNetV2 0.5x, EfficientNet-B0 and -B1 and
 * ConvNeXt-Tiny, with random weights and non-trivial BN / LayerNorm / layer-scale values,
 * exported by scripts/export_torch_models.py (torch 1.13, opset 13) at other widths,
 * resolutions and batch sizes than the zoo's, half with their BatchNormalization nodes and
 * half with torch.onnx.export's defaults (BN folded by torch). Each imports, and its logits
 * match PyTorch's within the 'model' tolerance on the reference and wasm backends in Node,
 * on WebGPU for one model of each family (see MODELS), and in headless Chromium for
 * ConvNeXt-Tiny (a 114 MB file, fetched by the page from a local server) on wasm and WebGPU. The cost table of an export that keeps its
 * batch norms is the zoo model's (params and MACs), and loading ConvNeXt-Tiny holds its
 * weights once beside the file (peak memory of import and of a wasm compile, measured in a
 * child process).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../src/backends/register-all.js';
import { releaseSharedGpu } from '../src/backends/webgpu/webgpu-backend.js';
import type { Graph } from '../src/graph/graph.js';
import { parseNpy } from '../src/io/npy.js';
import { buildModel, costTable } from '../src/index.js';
import { loadOnnxFile } from '../src/onnx/load-file.js';
import { serveFiles, useWebgpuPage } from './helpers/browser.js';
import { TOLERANCES } from './helpers/op-cases.js';
import { requireOracle } from './helpers/python.js';
import { exportTorchModels, itMatchesPytorch, relativeError } from './helpers/torch-models.js';

afterAll(() => releaseSharedGpu());

/**
 * The exports (scripts/export_torch_models.py's LIGHTWEIGHT), whether each runs on WebGPU in
 * Node, and the backends each runs on in Chromium too. Every model runs on the reference and
 * wasm backends; on WebGPU (SwiftShader, where compiling a model's pipelines takes 10-100 s
 * here) one model of each family in Node: MobileNetV3-Large, the MNASNets and EfficientNet-B1
 * repeat the ops of MobileNetV3-Small and EfficientNet-B0 at other widths (zoo-webgpu runs
 * the zoo's builds of them against the reference backend), and in Chromium ConvNeXt-Tiny
 * (zoo-browser runs the zoo's MobileNetV3-S, EfficientNet-B0 and ShuffleNetV2 there).
 */
const MODELS: readonly [name: string, nodeWebgpu: boolean, browser: readonly ('wasm' | 'webgpu')[]][] = [
  ['mobilenet_v3_small', true, []],
  ['mobilenet_v3_large', false, []],
  ['mnasnet0_5', false, []],
  ['mnasnet1_0', false, []],
  ['shufflenet_v2_x0_5', true, []],
  ['efficientnet_b0', true, []],
  ['efficientnet_b1', false, []],
  // The largest file (114 MB): the page holds it, the graph and the backend's copy at once.
  ['convnext_tiny', true, ['wasm', 'webgpu']],
];

let dir: string | undefined;
beforeAll(() => {
  dir = exportTorchModels('torch-lightweight', MODELS.map(([m]) => m));
}, 900_000);

const load = (model: string) => ({
  input: parseNpy(readFileSync(join(dir!, `${model}.input.npy`))),
  expected: parseNpy(readFileSync(join(dir!, `${model}.output.npy`))),
});

for (const [model, nodeWebgpu] of MODELS) {
  describe(model, () => {
    let graph: Graph | undefined;
    beforeAll(async () => {
      if (dir) graph = await loadOnnxFile(join(dir, `${model}.onnx`), { batch: load(model).input.shape[0] });
    }, 300_000);

    itMatchesPytorch(model, () => (graph && dir ? { graph, ...load(model) } : undefined), { timeout: 300_000, backends: nodeWebgpu ? undefined : ['reference', 'wasm'] });
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

/** Runs in the page, as text: fetches the ONNX file from the test's server, imports it, runs it on `backend`. */
const RUN_IN_PAGE = `async (url, backend, batch, input) => {
  const wc = await import('/webconv.browser.js');
  const g = wc.importOnnx(new Uint8Array(await (await fetch(url)).arrayBuffer()), { batch });
  const exe = await wc.getBackend(backend).compile(g);
  try {
    const out = await exe.run({ [g.inputs[0].name]: new Float32Array(input) });
    return { output: Array.from(out[exe.outputs[0].name].data), info: exe.info() };
  } finally {
    exe.dispose();
  }
}`;

describe('in headless Chromium', () => {
  const gpu = useWebgpuPage();
  // The export directory, served to the page from 127.0.0.1 (not by request interception,
  // whose base64 body over CDP closes Chromium past 75 MiB: see serveFiles).
  let files: Awaited<ReturnType<typeof serveFiles>> | undefined;
  beforeAll(async () => {
    if (gpu.page && !gpu.why() && dir) files = await serveFiles(dir);
  }, 60_000);
  afterAll(() => files?.close());

  it('has Chromium with a WebGPU adapter (required under CI)', (ctx) => {
    if (!requireOracle(!gpu.why(), `WebGPU in headless Chromium (${gpu.why()})`, "Debian's chromium package and the npm package puppeteer-core")) return ctx.skip();
  });
  for (const [model, backend] of MODELS.flatMap(([m, , backends]) => backends.map((b) => [m, b] as const))) {
    it(`${model} on ${backend} matches PyTorch`, async (ctx) => {
      const page = gpu.page;
      if (!page || gpu.why() || !dir || !files) return ctx.skip();
      const { input, expected } = load(model);
      const args = JSON.stringify([`${files.url}${model}.onnx`, backend, input.shape[0], Array.from(input.data)]);
      const got = (await page.page.evaluate(`(${RUN_IN_PAGE})(...${args})`).catch((e: Error) => {
        throw new Error(`${e.message}; the page's console: ${page.log.slice(-5).join(' | ')}`);
      })) as { output: number[]; info: { backend: string; fallbackNodes: string[] } };
      expect(relativeError(got.output, expected)).toBeLessThanOrEqual(TOLERANCES.model.relative);
      expect(got.info.backend).toBe(backend);
      expect(got.info.fallbackNodes).toEqual([]);
    }, 300_000);
  }
});

/**
 * Peak memory of loading the 114 MB ConvNeXt-Tiny, in a child Node process on dist/ (the
 * resident set, /proc's high-water mark reset before each step; Linux only), as a page or a
 * phone holds it: the file's bytes during import, then the graph and the wasm executable.
 * Import used to hold a second copy of the MatMul weights (decoded, and transposed for fc)
 * until it ended, and the executable kept the weights its graph passes derived beside its
 * wasm memory; each was a whole extra copy of most of the weights.
 */
const MEASURE_LOAD = `
import { readFileSync, writeFileSync } from 'node:fs';
const [dist, file] = process.argv.slice(1);
const wc = await import(dist);
const rss = (key) => Number(/\\d+/.exec(readFileSync('/proc/self/status', 'utf8').split('\\n').find((l) => l.startsWith(key + ':')))[0]) * 1024;
const step = async (f) => {
  gc();
  writeFileSync('/proc/self/clear_refs', '5');
  const before = rss('VmRSS');
  const value = await f();
  const peak = rss('VmHWM') - before;
  gc();
  return { value, peak, kept: rss('VmRSS') - before };
};
let bytes = readFileSync(file);
const imported = await step(() => wc.importOnnx(bytes, { batch: 1 }));
bytes = undefined;
const g = imported.value;
const compiled = await step(() => wc.getBackend('wasm').compile(g));
let weights = 0;
for (const i of g.initializers.values()) weights += i.shape.reduce((a, b) => a * b, 1) * 4; // float32 (import decodes them when first asked for)
console.log(JSON.stringify({ weights, import: { peak: imported.peak, kept: imported.kept }, compile: { peak: compiled.peak, kept: compiled.kept } }));
`;

describe('loading ConvNeXt-Tiny holds its weights once', () => {
  const DIST = new URL('../dist/index.js', import.meta.url);
  it('import peaks at one copy of the weights beside the file, and a wasm compile adds one', (ctx) => {
    if (!dir || !existsSync('/proc/self/clear_refs') || !existsSync(DIST)) return ctx.skip();
    const file = join(dir, 'convnext_tiny.onnx');
    const r = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', MEASURE_LOAD, DIST.href, file], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const m = JSON.parse(r.stdout.trim().split('\n').pop()!) as { weights: number; import: { peak: number; kept: number }; compile: { peak: number; kept: number } };
    const mb = (b: number) => `${(b / 2 ** 20).toFixed(0)} MB`;
    console.log(`ConvNeXt-Tiny: file ${mb(statSync(file).size)}, weights ${mb(m.weights)}; import peak +${mb(m.import.peak)}, kept +${mb(m.import.kept)}; wasm compile peak +${mb(m.compile.peak)}, kept +${mb(m.compile.kept)}`);
    expect(m.weights).toBeGreaterThan(100 * 2 ** 20);
    // Measured 1.31-1.36x (the graph's copy, and the decoder's and V8's slack); 1.97x when
    // import kept the second copy.
    expect(m.import.peak).toBeLessThanOrEqual(1.65 * m.weights);
    // Measured 1.41-1.61x (wasm memory: the weights, packed, and the arena); 2.61-2.68x when
    // the executable kept the derived weights too.
    expect(m.compile.kept).toBeLessThanOrEqual(2.1 * m.weights);
  }, 180_000);
});

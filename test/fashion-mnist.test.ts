/**
 * The shipped classifier, models/lenet5-fashion-mnist.* (trained by
 * scripts/train_fashion_mnist.py with PyTorch): on Fashion-MNIST's 10,000 test images every
 * backend predicts what PyTorch predicted with the same weights (the .predictions file),
 * so its accuracy is PyTorch's; `webconv eval` reports it; bad input is a clear error.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import '../src/backends/register-all.js';
import { getBackend } from '../src/backends/registry.js';
import { releaseSharedGpu } from '../src/backends/webgpu/webgpu-backend.js';
import { IdxError, MetadataError } from '../src/graph/errors.js';
import { parseIdx } from '../src/io/idx.js';
import { evaluateClassifier } from '../src/models/evaluate.js';
import { parseMetadata } from '../src/models/metadata.js';
import { loadOnnxFile } from '../src/onnx/load-file.js';
import { fashionMnistFile, haveFashionMnist } from './helpers/fashion-mnist.js';
import { requireOracle } from './helpers/python.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MODEL = join(ROOT, 'models/lenet5-fashion-mnist.onnx');
const META = JSON.parse(readFileSync(join(ROOT, 'models/lenet5-fashion-mnist.json'), 'utf8'));
const TORCH = new Uint8Array(readFileSync(join(ROOT, 'models/lenet5-fashion-mnist.predictions')));
const CLI = join(ROOT, 'dist/cli/main.js');

const idx = fashionMnistFile;

afterAll(() => releaseSharedGpu());

describe.runIf(haveFashionMnist)('the shipped LeNet-5 on Fashion-MNIST', () => {
  it('ships its metadata and PyTorch test accuracy >= 89%, and the metadata fits the model', async () => {
    const graph = await loadOnnxFile(MODEL, { batch: 1 });
    const meta = parseMetadata(META, graph, 'lenet5-fashion-mnist.json');
    expect(meta.labels).toHaveLength(10);
    expect(meta.testAccuracy).toBeGreaterThanOrEqual(0.89);
    expect(TORCH.length).toBe(10_000);
    const labels = idx('t10k-labels-idx1-ubyte.gz').data;
    // The shipped accuracy is what the shipped predictions score.
    expect(TORCH.reduce((n, p, i) => n + (p === labels[i] ? 1 : 0), 0) / 10_000).toBeCloseTo(meta.testAccuracy!, 10);
  });

  for (const backend of ['reference', 'wasm', 'webgpu']) {
    it(`${backend}: predicts what PyTorch predicts on >= 99.9% of the 10,000 test images`, async (ctx) => {
      if (!(await getBackend(backend).isAvailable())) {
        if (!requireOracle(false, `the ${backend} backend`, 'see test/webgpu-device.test.ts')) return ctx.skip();
      }
      const graph = await loadOnnxFile(MODEL, { batch: 500 });
      const meta = parseMetadata(META, graph);
      const exe = await getBackend(backend).compile(graph);
      const r = await evaluateClassifier(exe, meta, idx('t10k-images-idx3-ubyte.gz'), idx('t10k-labels-idx1-ubyte.gz'));
      exe.dispose();
      const same = r.predictions.reduce((n, p, i) => n + (p === TORCH[i] ? 1 : 0), 0);
      console.log(`${backend}: accuracy ${(100 * r.accuracy).toFixed(2)}%, ${same} of 10000 predictions equal PyTorch's`);
      expect(r.total).toBe(10_000);
      expect(same).toBeGreaterThanOrEqual(9990);
      expect(r.accuracy).toBeGreaterThanOrEqual(0.89);
      expect(Math.abs(r.accuracy - meta.testAccuracy!)).toBeLessThanOrEqual(0.001);
    }, 300_000);
  }

  it('webconv eval reports the accuracy on the test set', () => {
    const r = spawnSync(process.execPath, [CLI, 'eval', MODEL, '--fashion-mnist', 'test', '--limit', '1000'], { encoding: 'utf8', timeout: 120_000 });
    expect(r.stderr).toMatch(/^wasm: 1000 images in [\d.]+ s$/m);
    expect(r.stdout).toMatch(/^accuracy \d+\.\d\d% \(\d+ of 1000\) on Fashion-MNIST test, backend wasm$/m);
    expect(r.status).toBe(0);
  });
});

describe('bad input to the classifier', () => {
  it('a corrupt or truncated IDX file, or a gzipped one not gunzipped', () => {
    expect(() => parseIdx(new Uint8Array([0, 0, 8]))).toThrow(IdxError);
    expect(() => parseIdx(new Uint8Array([0x1f, 0x8b, 8, 0]), 'x.gz')).toThrow(/x.gz: not an IDX file.*gunzipped/);
    expect(() => parseIdx(new Uint8Array([0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0]))).toThrow(/data type 0x0d/);
    // A header claiming 60,000 images of 28x28 over 16 bytes allocates nothing.
    const lying = new Uint8Array([0, 0, 8, 3, 0, 0, 0xea, 0x60, 0, 0, 0, 28, 0, 0, 0, 28, 1, 2, 3, 4]);
    expect(() => parseIdx(lying)).toThrow(/needs 47040000 bytes of data, the file has 4/);
  });

  it('metadata that does not match the model: the labels, the channels, the size', async () => {
    const graph = await loadOnnxFile(MODEL, { batch: 1 });
    expect(() => parseMetadata({ ...META, labels: META.labels.slice(0, 9) }, graph, 'm.json')).toThrow(/m.json names 9 classes; the model .* outputs \[1, 10\]/);
    expect(() => parseMetadata({ ...META, input: { ...META.input, channels: 3, channelOrder: 'rgb', mean: [0, 0, 0], std: [1, 1, 1] } }, graph)).toThrow(MetadataError);
    expect(() => parseMetadata({ ...META, input: { ...META.input, height: 28 } }, graph)).toThrow(/describes an input of 1x28x32/);
    expect(() => parseMetadata({ ...META, input: { ...META.input, std: [0] } })).toThrow(/std must be positive/);
    expect(() => parseMetadata('nope')).toThrow(MetadataError);
  });

  it('webconv eval without metadata beside the model, or on a missing file: one line, exit 2', () => {
    const r = spawnSync(process.execPath, [CLI, 'eval', join(ROOT, 'nowhere.onnx'), '--fashion-mnist', 'test'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^webconv: error: model file '.*nowhere.onnx' not found$/)]);
  });
});

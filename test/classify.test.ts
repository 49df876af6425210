/**
 * Images in, labels out, with the shipped Fashion-MNIST classifier: test images written as
 * PNG (and one as JPEG) get PyTorch's class for them, through the API and through
 * `webconv classify`; a corrupt or foreign file, an impossible image and metadata that does
 * not match the model are clear errors.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../src/backends/register-all.js';
import { ImageError, MetadataError } from '../src/graph/errors.js';
import { decodeImage, readImageFile } from '../src/io/decode-image.js';
import type { RgbaImage } from '../src/io/image.js';
import type { Classifier } from '../src/models/classifier.js';
import { loadClassifier } from '../src/models/load-classifier.js';
import { fashionMnistFile, haveFashionMnist } from './helpers/fashion-mnist.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MODEL = join(ROOT, 'models/lenet5-fashion-mnist.onnx');
const META = JSON.parse(readFileSync(join(ROOT, 'models/lenet5-fashion-mnist.json'), 'utf8'));
const TORCH = new Uint8Array(readFileSync(join(ROOT, 'models/lenet5-fashion-mnist.predictions')));
const CLI = join(ROOT, 'dist/cli/main.js');
const COUNT = 20;

const work = mkdtempSync(join(tmpdir(), 'webconv-classify-'));
const files: string[] = [];
let classifier: Classifier;

/** Test image i (28x28 gray) as RGBA. */
function testImage(images: Uint8Array, i: number): RgbaImage {
  const data = new Uint8Array(28 * 28 * 4);
  for (let p = 0; p < 28 * 28; p++) data.set([images[i * 784 + p], images[i * 784 + p], images[i * 784 + p], 255], p * 4);
  return { width: 28, height: 28, data };
}

beforeAll(async () => {
  if (!haveFashionMnist) return;
  const images = fashionMnistFile('t10k-images-idx3-ubyte.gz').data;
  for (let i = 0; i < COUNT; i++) {
    const img = testImage(images, i);
    const png = new PNG({ width: 28, height: 28 });
    png.data.set(img.data);
    files.push(join(work, `test-${i}.png`));
    writeFileSync(files[i], PNG.sync.write(png));
  }
  writeFileSync(join(work, 'test-0.jpg'), jpeg.encode({ width: 28, height: 28, data: Buffer.from(testImage(images, 0).data) }, 95).data);
  classifier = await loadClassifier(MODEL, { backend: 'wasm' });
});

afterAll(() => {
  classifier?.dispose();
  rmSync(work, { recursive: true, force: true });
});

describe.runIf(haveFashionMnist)('classify: images in, labels out', () => {
  it(`gives each of ${COUNT} test images, written as PNG, PyTorch's class`, async () => {
    for (let i = 0; i < COUNT; i++) {
      const top = await classifier.classify(readImageFile(files[i]), { topK: 3 });
      expect(top).toHaveLength(3);
      expect(top[0].index, files[i]).toBe(TORCH[i]);
      expect(top[0].label).toBe(META.labels[TORCH[i]]);
      expect(top[0].probability).toBeGreaterThanOrEqual(top[1].probability);
      expect(top.reduce((s, c) => s + c.probability, 0)).toBeLessThanOrEqual(1 + 1e-9);
    }
  });

  it('resizes: the same image at 56x56 gets the same class; a JPEG of it too', async () => {
    const small = readImageFile(files[0]);
    const big = { width: 56, height: 56, data: new Uint8Array(56 * 56 * 4) };
    for (let y = 0; y < 56; y++) for (let x = 0; x < 56; x++) big.data.set(small.data.subarray(((y >> 1) * 28 + (x >> 1)) * 4, ((y >> 1) * 28 + (x >> 1)) * 4 + 4), (y * 56 + x) * 4);
    expect((await classifier.classify(big))[0].index).toBe(TORCH[0]);
    expect((await classifier.classify(readImageFile(join(work, 'test-0.jpg'))))[0].index).toBe(TORCH[0]);
    // In Node, a path will do.
    expect((await classifier.classify(join(work, 'test-0.jpg')))[0].index).toBe(TORCH[0]);
    await expect(classifier.classify(join(work, 'nowhere.png'))).rejects.toThrow(ImageError);
  });

  it('webconv classify prints the top labels of each image', () => {
    const r = spawnSync(process.execPath, [CLI, 'classify', MODEL, files[0], files[1], '--top', '2'], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    for (const [i, line] of lines.entries()) {
      expect(line).toMatch(new RegExp(`^${files[i].replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ${META.labels[TORCH[i]].replace('/', '\\/')} \\d\\.\\d{3}, [^,]+ \\d\\.\\d{3}$`));
    }
    expect(r.stderr).toMatch(/^backend wasm: 2 images in [\d.]+ s$/m);
  });
});

describe('classify: bad input', () => {
  it('a corrupt PNG, a file that is no image, a header claiming a huge image, a missing file', () => {
    const png = readFileSync(files[0] ?? MODEL);
    if (files[0]) expect(() => decodeImage(png.subarray(0, png.length - 30), 'cut.png')).toThrow(/cut.png: a corrupt PNG file/);
    expect(() => decodeImage(new TextEncoder().encode('hello, not an image'), 'a.txt')).toThrow(/a.txt: not a PNG or JPEG file/);
    const huge = new Uint8Array(33);
    huge.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 1, 0, 0, 0, 1, 0, 0]);
    expect(() => decodeImage(huge, 'huge.png')).toThrow(/65536 x 65536 pixels is more than/);
    expect(() => decodeImage(new Uint8Array([0xff, 0xd8, 0xff, 0, 1, 2]), 'bad.jpg')).toThrow(ImageError);
    expect(() => readImageFile(join(work, 'nowhere.png'))).toThrow(/not found/);
  });

  it('an RGBA buffer of the wrong length or an empty image', async (ctx) => {
    if (!classifier) return ctx.skip();
    await expect(classifier.classify({ width: 28, height: 28, data: new Uint8Array(28 * 28 * 3) })).rejects.toThrow(/expected 3136 RGBA bytes for 28 x 28, found 2352/);
    await expect(classifier.classify({ width: 0, height: 5, data: new Uint8Array(0) })).rejects.toThrow(ImageError);
  });

  it('a label file that does not match the model', async () => {
    const m = join(work, 'm.onnx');
    writeFileSync(m, readFileSync(MODEL));
    writeFileSync(join(work, 'm.json'), JSON.stringify({ ...META, labels: META.labels.slice(0, 9) }));
    await expect(loadClassifier(m)).rejects.toThrow(MetadataError);
    await expect(loadClassifier(m)).rejects.toThrow(/m.json names 9 classes; the model .* outputs \[1, 10\]/);
    writeFileSync(join(work, 'm.json'), '{ not json');
    await expect(loadClassifier(m)).rejects.toThrow(/m.json: not JSON/);
  });

  it('webconv classify on a corrupt image: one line, exit 2, before the model loads', () => {
    writeFileSync(join(work, 'bad.png'), 'not a png');
    const r = spawnSync(process.execPath, [CLI, 'classify', MODEL, join(work, 'bad.png')], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^webconv: error: .*bad.png: not a PNG or JPEG file$/)]);
  });
});

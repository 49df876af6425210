/**
 * Transfer learning (examples/transfer-learning.mjs, src/models/transfer.ts): a LeNet-5
 * trained by PyTorch on five Fashion-MNIST classes, frozen; a softmax-regression head
 * trained in TypeScript on its features of 500 images of the five other classes; the two
 * saved as one ONNX model. It reaches the accuracy the README states on those classes' 5,000
 * test images, and the same again: the seed fixes everything.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../src/graph/builder.js';
import { OptionError } from '../src/graph/errors.js';
import { attachHead, featureExtractor, penultimate, trainSoftmaxHead } from '../src/models/transfer.js';
import { referenceBackend } from '../src/backends/reference/reference-backend.js';
import { haveFashionMnist } from './helpers/fashion-mnist.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

function example(out: string): { lines: string[]; status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'examples/transfer-learning.mjs'), '--out', out], { encoding: 'utf8', timeout: 120_000 });
  return { lines: r.stdout.trim().split('\n'), status: r.status, stderr: r.stderr };
}

describe.runIf(haveFashionMnist)('transfer learning on Fashion-MNIST', () => {
  it('reaches the accuracy the README states, twice over, and saves the same model', () => {
    const dirs = [mkdtempSync(join(tmpdir(), 'webconv-transfer-')), mkdtempSync(join(tmpdir(), 'webconv-transfer-'))];
    try {
      const [a, b] = dirs.map(example);
      expect(a.status, a.stderr).toBe(0);
      const line = a.lines.find((l) => l.startsWith('accuracy '));
      expect(line).toMatch(/^accuracy (\d+\.\d\d)% \(\d+ of 5000\) on the test images of Sandal, Shirt, Sneaker, Bag, Ankle boot$/);
      const stated = /transfer-learning example[^]*?reaches ([\d.]+%) \((\d+) of 5000\)/.exec(README);
      expect(stated, 'the README states the example accuracy').not.toBeNull();
      expect(line).toContain(`${stated![1]} (${stated![2]} of 5000)`);
      // Every line but the last, which names the output folder.
      expect(b.lines.slice(0, -1)).toEqual(a.lines.slice(0, -1));
      const model = (d: string) => readFileSync(join(d, 'lenet5-fashion-mnist-transfer.onnx'));
      expect(model(dirs[1]).equals(model(dirs[0]))).toBe(true);
    } finally {
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    }
  });
});

describe('the head and the cut', () => {
  it('softmax regression separates separable classes, takes raw features, and rejects bad labels', async () => {
    // Three blobs far apart in 4-D, features on very different scales.
    const x: number[] = [];
    const y: number[] = [];
    for (let i = 0; i < 60; i++) {
      const c = i % 3;
      x.push(c * 100 + (i % 7), 1000 * (c === 1 ? 1 : 0) + (i % 5), (i % 3) * 0.001, 5);
      y.push(c);
    }
    const head = trainSoftmaxHead(Float32Array.from(x), y, 3, { epochs: 30, seed: 3 });
    expect(head.losses.at(-1)!).toBeLessThan(head.losses[0]);
    for (let i = 0; i < 60; i++) {
      const logits = [0, 1, 2].map((c) => head.bias[c] + [0, 1, 2, 3].reduce((s, j) => s + head.weight[c * 4 + j] * x[i * 4 + j], 0));
      expect(logits.indexOf(Math.max(...logits))).toBe(y[i]);
    }
    expect(() => trainSoftmaxHead(new Float32Array(8), [0, 3], 3)).toThrow(OptionError);
    expect(() => trainSoftmaxHead(new Float32Array(7), [0, 1], 3)).toThrow(/do not split into 2 examples/);
  });

  it('cuts a graph at a tensor and puts a head on it: one model, the head applied to the cut', async () => {
    const b = new GraphBuilder('net');
    const y = b.input('x', [2, 1, 8, 8]).conv('c', 4, 3).relu().flatten('f').fc('fc1', 6).relu().fc('fc2', 3);
    const g = b.build([y]);
    const cut = penultimate(g);
    const features = featureExtractor(g, cut);
    expect(features.outputs).toEqual([cut]);
    expect(features.nodes.map((n) => n.op)).toEqual(['conv2d', 'relu', 'flatten', 'fc', 'relu']);
    const head = { features: 6, classes: 2, weight: Float32Array.from({ length: 12 }, (_, i) => (i % 5) - 2), bias: Float32Array.of(0.5, -1), losses: [] };
    const both = attachHead(g, head, cut);
    const x = Float32Array.from({ length: 128 }, (_, i) => Math.sin(i));
    const f = (await (await referenceBackend.compile(features)).run(x))[cut].data;
    const out = (await (await referenceBackend.compile(both)).run(x)).logits;
    expect(out.shape).toEqual([2, 2]);
    for (let n = 0; n < 2; n++) {
      for (let c = 0; c < 2; c++) {
        const want = head.bias[c] + Array.from({ length: 6 }, (_, j) => head.weight[c * 6 + j] * f[n * 6 + j]).reduce((s, v) => s + v, 0);
        expect(out.data[n * 2 + c]).toBeCloseTo(want, 5);
      }
    }
    expect(() => attachHead(g, { ...head, features: 5 }, cut)).toThrow(/the head takes 5 features/);
  });
});

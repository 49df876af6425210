/**
 * webconv's own post-training static quantization (issue 16): the shipped Fashion-MNIST
 * LeNet-5 calibrated on 256 training images (minmax, uint8 activations, per-channel int8
 * weights, int32 biases) and written as a QDQ ONNX file. The file is about a quarter of the
 * float one; imported back, its accuracy on the 10,000 test images is within 0.5 points of
 * the float model's; onnxruntime (an oracle no one here wrote) runs it as written and with
 * its int8 kernels, and webconv agrees with both on 64 test images; `webconv quantize` does
 * the same from the command line.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../src/backends/register-all.js';
import { getBackend } from '../src/backends/registry.js';
import { GraphBuilder } from '../src/graph/builder.js';
import { encodeNpy, parseNpy } from '../src/io/npy.js';
import { evaluateClassifier } from '../src/models/evaluate.js';
import { grayImagesToInput, parseMetadata } from '../src/models/metadata.js';
import { exportOnnx } from '../src/onnx/export.js';
import { costTable } from '../src/cost/summary.js';
import { importOnnx } from '../src/onnx/import.js';
import { optimizeGraph } from '../src/plan/passes.js';
import { activationParams, quantizeModel, quantizeWeight, type QuantizedModel } from '../src/quantize/quantize.js';
import { fashionMnistFile, haveFashionMnist } from './helpers/fashion-mnist.js';
import { requireOrt, runOrtPython } from './helpers/onnxruntime-python.js';

const ROOT = new URL('..', import.meta.url).pathname;
const MODEL = join(ROOT, 'models/lenet5-fashion-mnist.onnx');
const META = parseMetadata(JSON.parse(readFileSync(join(ROOT, 'models/lenet5-fashion-mnist.json'), 'utf8')));
const CLI = join(ROOT, 'dist/cli/main.js');
const work = mkdtempSync(join(tmpdir(), 'webconv-quantize-'));
const QFILE = join(work, 'lenet5.int8.onnx');
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** `count` images from `first` on, as the model's input ([count, 1, 32, 32]). */
function inputs(file: string, first: number, count: number): Float32Array {
  const gray = fashionMnistFile(file).data as Uint8Array;
  return grayImagesToInput(gray.subarray(first * 784, (first + count) * 784), count, 28, 28, META);
}
const argmax = (a: ArrayLike<number>, from: number, n: number) => {
  let best = from;
  for (let i = from + 1; i < from + n; i++) if (a[i] > a[best]) best = i;
  return best - from;
};

describe('quantization helpers', () => {
  it('activation grids and int8 weights as onnxruntime computes them', () => {
    expect(activationParams(0, 2.55, 'uint8')).toEqual({ scale: Math.fround(0.01), zeroPoint: 0 });
    expect(activationParams(-1, 1, 'uint8')).toEqual({ scale: Math.fround(2 / 255), zeroPoint: 128 });
    expect(activationParams(-1, 1, 'int8')).toEqual({ scale: Math.fround(2 / 255), zeroPoint: 0 });
    expect(activationParams(0.5, 1, 'uint8').zeroPoint).toBe(0); // 0 is always in the range
    expect(activationParams(0, 0, 'uint8')).toEqual({ scale: 1, zeroPoint: 0 });
    const q = quantizeWeight(Float32Array.of(1.27, -0.635, 0, 0, 0.5, 0.25), [3, 2], 0);
    expect([...q.scale]).toEqual([Math.fround(0.01), 1, Math.fround(0.5 / 127)]);
    expect([...q.values]).toEqual([127, -64, 0, 0, 127, 64]); // -63.5 rounds to even
  });

  it('a built graph: qdq after each compute node and the input, weights dequantized, exported as int8', async () => {
    const b = new GraphBuilder('tiny');
    const y = b.input('x', [2, 3, 8, 8]).conv('c1', 4, 3, { pad: 1 }).relu().maxpool('p', 2).flatten().fc('f', 5);
    const g = b.build([y]);
    const calib = [Float32Array.from({ length: 2 * 3 * 64 }, (_, i) => Math.sin(i))];
    const q = await quantizeModel(g, calib, { backend: getBackend('reference') });
    expect(q.graph.nodes.map((n) => n.op)).toEqual(['qdq', 'conv2d', 'qdq', 'maxpool', 'flatten', 'qdq', 'fc']);
    expect(q.weights).toHaveLength(2);
    expect(q.biases).toHaveLength(2);
    const bytes = exportOnnx(q.graph, { quantized: q.initializers, dynamicBatch: true });
    const back = importOnnx(bytes, { batch: 2 });
    expect(optimizeGraph(back).graph.nodes.map((n) => n.op)).toEqual(q.graph.nodes.map((n) => n.op));
    const [a, c] = await Promise.all([q.graph, back].map(async (gr) => {
      const exe = await getBackend('reference').compile(gr);
      const out = (await exe.run(calib[0]))[exe.outputs[0].name].data;
      exe.dispose();
      return out;
    }));
    expect([...c]).toEqual([...a]);
  });
});

describe('LeNet-5 on Fashion-MNIST quantized by webconv (256 calibration images, uint8 activations, per-channel int8 weights)', () => {
  let q: QuantizedModel | undefined;
  beforeAll(async () => {
    if (!haveFashionMnist) return;
    const g = importOnnx(new Uint8Array(readFileSync(MODEL)), { batch: 64 });
    const x = inputs('train-images-idx3-ubyte.gz', 0, 256);
    const batches = [0, 1, 2, 3].map((k) => x.slice(k * 64 * 1024, (k + 1) * 64 * 1024));
    q = await quantizeModel(g, batches);
    writeFileSync(QFILE, exportOnnx(q.graph, { quantized: q.initializers, dynamicBatch: true }));
  }, 60_000);

  it('writes a QDQ file at most 0.3x the float one', (ctx) => {
    if (!q) return ctx.skip();
    const [float, int8] = [statSync(MODEL).size, statSync(QFILE).size];
    console.log(`LeNet-5: float ${float} bytes, int8 ${int8} bytes (${(int8 / float).toFixed(3)}x); ${q.activations.size} activations, ${q.weights.length} weights, ${q.biases.length} biases quantized`);
    expect(int8).toBeLessThanOrEqual(0.3 * float);
    expect(q.weights).toHaveLength(5);
    expect(q.biases).toHaveLength(5);
    const back = importOnnx(new Uint8Array(readFileSync(QFILE)), { batch: 1 });
    expect(back.nodes.filter((n) => n.op === 'qdq')).toHaveLength(q.activations.size);
    // The cost model's inference parameter memory: 1 byte per int8 weight, 4 per int32 bias, plus scales
    // and zero points; the same for the quantizer's graph and for the file imported back.
    const floatMem = costTable(importOnnx(new Uint8Array(readFileSync(MODEL)), { batch: 1 }), { memory: 'inference' }).totals.paramMemMB;
    const [ours, imported] = [costTable(q.graph, { memory: 'inference' }).totals.paramMemMB, costTable(back, { memory: 'inference' }).totals.paramMemMB];
    console.log(`LeNet-5 parameter memory: float ${floatMem.toFixed(4)} MB, int8 ${imported.toFixed(4)} MB`);
    expect(ours).toBeCloseTo(imported, 6);
    expect(imported).toBeLessThanOrEqual(0.3 * floatMem);
    expect(imported).toBeGreaterThanOrEqual(0.25 * floatMem);
  });

  it('keeps the accuracy on the 10,000 test images within 0.5 points of the float model (wasm)', async (ctx) => {
    if (!q) return ctx.skip();
    const images = fashionMnistFile('t10k-images-idx3-ubyte.gz');
    const labels = fashionMnistFile('t10k-labels-idx1-ubyte.gz');
    const accuracy = async (file: string) => {
      const exe = await getBackend('wasm').compile(importOnnx(new Uint8Array(readFileSync(file)), { batch: 250 }));
      try {
        return (await evaluateClassifier(exe, META, images, labels)).accuracy;
      } finally {
        exe.dispose();
      }
    };
    const [float, int8] = [await accuracy(MODEL), await accuracy(QFILE)];
    console.log(`LeNet-5 accuracy on Fashion-MNIST test: float ${(100 * float).toFixed(2)}%, int8 ${(100 * int8).toFixed(2)}%`);
    expect(float).toBeCloseTo(0.9115, 4);
    expect(Math.abs(int8 - float)).toBeLessThanOrEqual(0.005);
  }, 60_000);

  it('onnxruntime runs the file: as written within 1e-2 of the largest logit, its int8 kernels the same top-1 on >= 63/64', async (ctx) => {
    if (!q || !requireOrt()) return ctx.skip();
    const N = 64;
    const x = inputs('t10k-images-idx3-ubyte.gz', 0, N);
    const xFile = join(work, 'x.npy');
    writeFileSync(xFile, encodeNpy([N, 1, 32, 32], x));
    const ort = (extra: string[]) => {
      const yFile = join(work, `y${extra.length}.npy`);
      const r = runOrtPython(['run', '--model', QFILE, '--input', xFile, '--out', yFile, ...extra]);
      if (!r.ok) throw new Error(`quantize_onnx.py run failed:\n${r.out}`);
      return parseNpy(readFileSync(yFile)).data;
    };
    const [asWritten, kernels] = [ort(['--no-optimize']), ort([])];
    const exe = await getBackend('wasm').compile(importOnnx(new Uint8Array(readFileSync(QFILE)), { batch: N }));
    const y = (await exe.run(x))[exe.outputs[0].name].data;
    exe.dispose();
    const maxRef = asWritten.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
    const err = (ref: Float32Array) => y.reduce((a, v, i) => Math.max(a, Math.abs(v - ref[i])), 0);
    let sameTop = 0;
    for (let n = 0; n < N; n++) if (argmax(y, n * 10, 10) === argmax(kernels, n * 10, 10)) sameTop++;
    console.log(`LeNet-5 int8 vs onnxruntime: as written max |error| ${err(asWritten).toExponential(2)}, int8 kernels ${err(kernels).toExponential(2)}, of max |logit| ${maxRef.toFixed(3)}; top-1 equal to the int8 kernels' on ${sameTop}/${N}`);
    expect(err(asWritten)).toBeLessThanOrEqual(1e-2 * maxRef);
    expect(sameTop).toBeGreaterThanOrEqual(63);
  }, 60_000);
});

describe('webconv quantize (the built CLI)', () => {
  const webconv = (...args: string[]) => {
    const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };

  it('quantizes LeNet-5 on Fashion-MNIST and writes the file and its metadata', (ctx) => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run 'npm run build' first (npm test does)`);
    if (!haveFashionMnist) return ctx.skip();
    const out = join(work, 'cli.int8.onnx');
    const r = webconv('quantize', MODEL, '--calibrate', 'fashion-mnist', '--count', '128', '--out', out);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^quantized \d+ activations \(uint8, minmax\), 5 weights \(int8, per channel\), 5 biases \(int32\)$/m);
    expect(r.out).toMatch(/^size: float \d+ bytes -> int8 \d+ bytes \(0\.\d+x\): /m);
    expect(statSync(out).size).toBeLessThanOrEqual(0.3 * statSync(MODEL).size);
    const meta = JSON.parse(readFileSync(join(work, 'cli.int8.json'), 'utf8'));
    const floatMeta = JSON.parse(readFileSync(MODEL.replace(/onnx$/, 'json'), 'utf8'));
    expect(meta.input).toEqual(floatMeta.input);
    expect(meta.labels).toEqual(floatMeta.labels);
    expect(meta.testAccuracy).toBeUndefined();
    expect(meta.quantization).toMatchObject({ method: 'minmax', activationType: 'uint8', calibration: 'Fashion-MNIST train, first 128 images' });
    expect(importOnnx(new Uint8Array(readFileSync(out)), { batch: 2 }).nodes.some((n) => n.op === 'qdq')).toBe(true);
  }, 60_000);

  it('bad input: one line on stderr, exit 2', () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run 'npm run build' first (npm test does)`);
    const r = webconv('quantize', MODEL, '--calibrate', 'fashion-mnist', '--method', 'kl', '--out', join(work, 'bad.onnx'));
    expect(r.code).toBe(2);
    expect(r.err).toBe("webconv: error: --method must be minmax or percentile, found 'kl'\n");
    const m = webconv('quantize', MODEL, '--out', join(work, 'bad.onnx'));
    expect(m.code).toBe(2);
    expect(m.err).toMatch(/^webconv: error: quantize needs --calibrate/);
  });
});

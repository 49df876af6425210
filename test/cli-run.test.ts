import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../src/backends/register-all.js';
import { getBackend } from '../src/backends/registry.js';
import { encodeNpy, parseNpy } from '../src/io/npy.js';
import { buildModel } from '../src/models/zoo.js';
import { exportTorchModels } from './helpers/torch-models.js';

const ROOT = new URL('..', import.meta.url).pathname;
// The built CLI, as cli-bench and classify run it (npm test builds dist/ before the suite).
const CLI = join(ROOT, 'dist/cli/main.js');

function webconv(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Deterministic pseudo-random values in [-1, 1). */
function values(n: number, seed = 1): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 30) - 1);
}

let dir = '';
beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run 'npm run build' first (npm test does)`);
  dir = mkdtempSync(join(tmpdir(), 'webconv-cli-run-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const path = (name: string) => join(dir, name);
function writeNpy(name: string, shape: number[], seed = 1): string {
  writeFileSync(path(name), encodeNpy(shape, values(shape.reduce((a, d) => a * d, 1), seed)));
  return path(name);
}

describe('webconv run: a zoo model', () => {
  it('lenet5 --out --top 3: the reference output, and the top classes sorted', async () => {
    const x = writeNpy('lenet.npy', [1, 1, 32, 32]);
    const r = webconv('run', 'lenet5', '--input', x, '--out', path('lenet.out.npy'), '--top', '3');
    expect(r.err).toMatch(/^backend reference \(1 thread\): 1 image in [\d.]+ s$/m);
    expect(r.code).toBe(0);

    const graph = buildModel('lenet5', { batch: 1 });
    const exe = await getBackend('reference').compile(graph);
    const want = (await exe.run(parseNpy(readFileSync(x)).data))[exe.outputs[0].name];
    exe.dispose();
    const got = parseNpy(readFileSync(path('lenet.out.npy')));
    expect(got.shape).toEqual([...want.shape]);
    expect(got.data).toEqual(want.data);

    const lines = r.out.trim().split('\n');
    expect(lines).toHaveLength(1);
    const m = /^image 0: #(\d+) (0\.\d{4}), #(\d+) (0\.\d{4}), #(\d+) (0\.\d{4})$/.exec(lines[0]);
    expect(m, lines[0]).not.toBeNull();
    const classes = [m![1], m![3], m![5]].map(Number);
    const probs = [m![2], m![4], m![6]].map(Number);
    expect(probs[0]).toBeGreaterThanOrEqual(probs[1]);
    expect(probs[1]).toBeGreaterThanOrEqual(probs[2]);
    // The best class is the largest logit; the probability is its softmax.
    const logits = [...want.data];
    expect(classes[0]).toBe(logits.indexOf(Math.max(...logits)));
    const sum = logits.reduce((a, v) => a + Math.exp(v - Math.max(...logits)), 0);
    expect(probs[0]).toBeCloseTo(1 / sum, 4);
  });

  it('--backend webgpu: the same classes, the adapter named, and the process exits', async (ctx) => {
    const { webgpuBackend, releaseSharedGpu } = await import('../src/backends/webgpu/webgpu-backend.js');
    const available = await webgpuBackend.isAvailable();
    await releaseSharedGpu();
    if (!available) return ctx.skip(); // test/webgpu-device.test.ts fails under CI without an adapter
    const x = writeNpy('lenet-gpu.npy', [1, 1, 32, 32]);
    const r = webconv('run', 'lenet5', '--input', x, '--backend', 'webgpu', '--out', path('lenet-gpu.out.npy'));
    expect(r.err).toMatch(/^backend webgpu \(adapter SwiftShader \(software\); 1 thread; features timestamp-query\): 1 image in [\d.]+ s$/m);
    expect(r.code).toBe(0);
    const graph = buildModel('lenet5', { batch: 1 });
    const exe = await getBackend('reference').compile(graph);
    const want = (await exe.run(parseNpy(readFileSync(x)).data))[exe.outputs[0].name].data;
    exe.dispose();
    const got = parseNpy(readFileSync(path('lenet-gpu.out.npy'))).data;
    const maxRef = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(got.reduce((m, v, i) => Math.max(m, Math.abs(v - want[i])), 0)).toBeLessThanOrEqual(1e-4 * maxRef);
  });

  it('a batch of 3 images run --batch 2 at a time equals one run of all 3', () => {
    const x = writeNpy('lenet3.npy', [3, 1, 32, 32], 7);
    expect(webconv('run', 'lenet5', '--input', x, '--out', path('all.npy')).code).toBe(0);
    expect(webconv('run', 'lenet5', '--input', x, '--out', path('chunks.npy'), '--batch', '2').code).toBe(0);
    const all = parseNpy(readFileSync(path('all.npy')));
    expect(all.shape).toEqual([3, 10]);
    expect(parseNpy(readFileSync(path('chunks.npy')))).toEqual(all);
  });

  it('without --out or --top: the output shape and a short summary', () => {
    const r = webconv('run', 'lenet5', '--input', writeNpy('lenet2.npy', [2, 1, 32, 32]));
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toMatch(/^output '[^']+': shape \[2, 10\], min -?[\d.e+-]+, max -?[\d.e+-]+, mean -?[\d.e+-]+$/);
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(/^image 0: top class #\d+ \(softmax 0\.\d{4}\)$/),
      expect.stringMatching(/^image 1: top class #\d+ \(softmax 0\.\d{4}\)$/),
    ]);
  });
});

describe('webconv run: an ONNX model exported by PyTorch', () => {
  let models: string | undefined;
  beforeAll(() => {
    models = exportTorchModels('torch-models-tiny', ['tinycnn']);
  }, 600_000);

  it('matches PyTorch, and --top prints one line per image', (ctx) => {
    if (!models) return ctx.skip();
    const out = path('tiny.out.npy');
    const r = webconv('run', join(models, 'tinycnn.onnx'), '--input', join(models, 'tinycnn.input.npy'), '--out', out, '--top', '2');
    expect(r.err).toMatch(/^backend reference/m);
    expect(r.code).toBe(0);
    expect(r.out.trim().split('\n').map((l) => l.replace(/#\d+ 0\.\d{4}/g, '#C P'))).toEqual(['image 0: #C P, #C P', 'image 1: #C P, #C P']);
    const got = parseNpy(readFileSync(out));
    const want = parseNpy(readFileSync(join(models, 'tinycnn.output.npy')));
    expect(got.shape).toEqual(want.shape);
    const maxRef = Math.max(...want.data.map(Math.abs));
    got.data.forEach((v, i) => expect(Math.abs(v - want.data[i])).toBeLessThanOrEqual(1e-4 * maxRef));
  });

  it('an input of the wrong size for the model is one clear line', (ctx) => {
    if (!models) return ctx.skip();
    const r = webconv('run', join(models, 'tinycnn.onnx'), '--input', writeNpy('tiny-wrong.npy', [2, 3, 28, 28]));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^webconv: error: .*tiny-wrong\.npy: model '.*tinycnn\.onnx' expects input '\w+' of shape \[2, 3, 32, 32\], found \[2, 3, 28, 28\]\n$/);
  });
});

describe('webconv run: bad input is one line on stderr, exit 2, no stack trace', () => {
  const f64 = () => {
    // A float64 .npy: numpy's header with descr '<f8' (the dtype is checked before the size).
    const bytes = encodeNpy([1, 1, 32, 32], values(1024));
    const header = Buffer.from(bytes.subarray(0, 128)).toString('latin1').replace("'<f4'", "'<f8'");
    writeFileSync(path('f64.npy'), Buffer.concat([Buffer.from(header, 'latin1'), bytes.subarray(128), bytes.subarray(128)]));
    return path('f64.npy');
  };
  const corrupt = () => {
    const bytes = encodeNpy([1, 1, 32, 32], values(1024));
    const header = Buffer.from(bytes.subarray(0, 128)).toString('latin1').replace("'shape': (", "'shape' (");
    writeFileSync(path('corrupt.npy'), Buffer.concat([Buffer.from(header, 'latin1'), bytes.subarray(128)]));
    return path('corrupt.npy');
  };
  const good = () => writeNpy('good.npy', [1, 1, 32, 32]);

  const cases: [string, () => string[], RegExp][] = [
    ['a missing input file', () => ['lenet5', '--input', path('nope.npy')], /cannot read --input '.*nope\.npy': no such file/],
    ['a missing model file', () => [path('nope.onnx'), '--input', good()], /model file '.*nope\.onnx' not found/],
    ['an unknown model', () => ['lenet9', '--input', good()], /unknown model 'lenet9'; known models: .*; or give a path to a \.onnx file/],
    ['a float64 .npy', () => ['lenet5', '--input', f64()], /f64\.npy: expected float32 \('<f4'\), found '<f8' \(float64\)/],
    ['a corrupt .npy header', () => ['lenet5', '--input', corrupt()], /corrupt\.npy: corrupt header: expected ':'/],
    ['an input of the wrong shape', () => ['lenet5', '--input', writeNpy('rgb.npy', [1, 3, 32, 32])], /rgb\.npy: model 'lenet5' takes \[N, 1, H, W\] \(default H x W 32x32\), found shape \[1, 3, 32, 32\]/],
    ['an input too small for the model', () => ['lenet5', '--input', writeNpy('small.npy', [1, 1, 4, 4])], /expected .* found/],
    ['an unknown backend', () => ['lenet5', '--input', good(), '--backend', 'cuda'], /unknown backend 'cuda'; registered backends: reference/],
    ['--top 0', () => ['lenet5', '--input', good(), '--top', '0'], /--top must be a positive integer, found '0'/],
    ['--batch -1', () => ['lenet5', '--input', good(), '--batch', '-1'], /--batch must be a positive integer, found '-1'/],
    ['no --input', () => ['lenet5'], /run needs --input x\.npy/],
    ['an unknown flag', () => ['lenet5', '--input', good(), '--fast'], /Unknown option '--fast'/],
  ];
  for (const [what, args, message] of cases) {
    it(what, () => {
      const r = webconv('run', ...args());
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(r.err).toMatch(/^webconv: error: [^\n]+\n$/);
      expect(r.err).toMatch(message);
      expect(r.err).not.toMatch(/\bat .*:\d+:\d+/);
      expect(existsSync(path('nope.npy'))).toBe(false);
    });
  }
});

/**
 * `load(source, options)`: the shipped LeNet-5 from bytes, a file path, a file: URL and an
 * http: URL (a local server that sends it in chunks with its Content-Length), compiled on
 * the backend 'auto' picks (here, in Node without navigator.gpu: wasm) or the one asked for,
 * with the same outputs and classes as the existing API; WebGPU on SwiftShader when given
 * the device and allowed a software adapter, and a failing WebGPU (a destroyed device)
 * recorded as a fallback; abort before, during and after the download; typed errors for
 * bad sources. Under CI a missing WebGPU adapter fails.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Executable, TensorData } from '../src/backends/backend.js';
import '../src/backends/register-all.js';
import { wasmBackend } from '../src/backends/wasm/wasm-backend.js';
import { supports } from '../src/backends/wasm/wasm-module.js';
import { acquireDevice, type GpuContext } from '../src/backends/webgpu/device.js';
import { ExecutableError, GpuError, MetadataError, OnnxError, OptionError } from '../src/graph/errors.js';
import { mulberry32 } from '../src/graph/weight-init.js';
import type { RgbaImage } from '../src/io/image.js';
import { load as loadBrowser, type LoadedModel, type LoadOptions, type LoadProgress } from '../src/load.js';
import { load } from '../src/load-node.js';
import { loadClassifier } from '../src/models/load-classifier.js';
import { loadOnnxFile } from '../src/onnx/load-file.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MODEL = join(ROOT, 'models/lenet5-fashion-mnist.onnx');
const META_PATH = join(ROOT, 'models/lenet5-fashion-mnist.json');
const BYTES = new Uint8Array(readFileSync(MODEL));
const META = JSON.parse(readFileSync(META_PATH, 'utf8'));
const CHUNK = 16 * 1024;
const SIMD = supports('relaxed-simd') ? 'relaxed' : 'simd';

const next = mulberry32(7);
const INPUT = Float32Array.from({ length: 32 * 32 }, () => next() * 2 - 1);
const IMAGES: RgbaImage[] = Array.from({ length: 4 }, () => ({
  width: 28,
  height: 28,
  data: Uint8Array.from({ length: 28 * 28 * 4 }, (_, i) => (i % 4 === 3 ? 255 : Math.floor(next() * 256))),
}));

/** Requests per path, and whether the slow route's connection was closed by the client. */
const served = new Map<string, number>();
let slowClosed: Promise<void> = Promise.resolve();
let server: Server;
let base = '';
let expected: TensorData;
const held: ServerResponse[] = [];

/** Sends the model in chunks, a tick apart, so a download reports progress more than once. */
async function sendModel(res: ServerResponse, stopAfter = BYTES.length): Promise<void> {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(BYTES.length) });
  for (let at = 0; at < stopAfter; at += CHUNK) {
    if (res.destroyed) return;
    res.write(BYTES.subarray(at, Math.min(at + CHUNK, stopAfter)));
    await new Promise((r) => setTimeout(r, 2));
  }
  if (stopAfter >= BYTES.length) res.end();
  else held.push(res); // the slow route never finishes: the client must abort
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? '';
    served.set(path, (served.get(path) ?? 0) + 1);
    if (path === '/lenet5.onnx') void sendModel(res);
    else if (path === '/slow.onnx') {
      slowClosed = new Promise((resolve) => res.on('close', () => resolve()));
      void sendModel(res, 3 * CHUNK);
    } else if (path === '/lenet5.json') res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(META));
    else res.writeHead(404).end('not here');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const exe = await wasmBackend.compile(await loadOnnxFile(MODEL, { batch: 1 }));
  expected = Object.values(await exe.run(INPUT))[0];
  exe.dispose();
});

afterAll(async () => {
  for (const res of held) res.destroy();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

afterEach(() => vi.restoreAllMocks());

async function output(exe: Executable): Promise<TensorData> {
  return Object.values(await exe.run(INPUT))[0];
}

describe('load: sources', () => {
  it('bytes (Uint8Array, ArrayBuffer): auto picks wasm here and says why', async () => {
    for (const source of [BYTES, BYTES.slice().buffer]) {
      const model = await load(source);
      const info = model.info();
      expect(info.backend).toBe('wasm');
      expect(info.simd).toBe(SIMD);
      expect(info.features).toContain(SIMD === 'relaxed' ? 'relaxed-simd' : 'simd');
      expect(info.threads).toBe(1);
      expect(info.attempts[0]).toEqual({ backend: 'webgpu', ok: false, skipped: true, error: 'this environment has no navigator.gpu' });
      expect(info.attempts.at(-1)).toEqual({ backend: 'wasm', simd: SIMD, ok: true });
      expect(info.reason).toMatch(new RegExp(`^auto chose wasm ${SIMD === 'relaxed' ? 'relaxed ' : ''}SIMD \\(WebGPU: this environment has no navigator.gpu`));
      expect(await output(model)).toEqual(expected);
      model.dispose();
    }
  });

  it('a path and a file: URL (webconv/node), named after the file; with metadata a classifier equal to loadClassifier', async () => {
    const reference = await loadClassifier(MODEL);
    const want = await Promise.all(IMAGES.map((im) => reference.classify(im, { topK: 3 })));
    reference.dispose();
    for (const source of [MODEL, pathToFileURL(MODEL), pathToFileURL(MODEL).href]) {
      const classifier = await load(source, { metadata: META_PATH });
      expect(classifier.metadata.labels).toEqual(META.labels);
      expect(classifier.info().backend).toBe('wasm');
      expect(await Promise.all(IMAGES.map((im) => classifier.classify(im, { topK: 3 })))).toEqual(want);
      classifier.dispose();
    }
    const exe = await load(MODEL);
    expect((exe as unknown as { graph: { name: string } }).graph.name).toBe('lenet5-fashion-mnist');
    exe.dispose();
  });

  it('an http: URL: streamed with monotonic progress that ends at Content-Length, then compile', async () => {
    const loaders: ((source: string, options: LoadOptions) => Promise<LoadedModel>)[] = [load, loadBrowser];
    for (const loader of loaders) {
      const events: LoadProgress[] = [];
      const model = await loader(`${base}/lenet5.onnx`, { onProgress: (p) => events.push(p) });
      const downloads = events.filter((e) => e.phase === 'download');
      expect(downloads.length).toBeGreaterThan(2);
      expect(downloads[0].loaded).toBe(0);
      for (const e of downloads) expect(e.total).toBe(BYTES.length);
      for (let i = 1; i < downloads.length; i++) expect(downloads[i].loaded).toBeGreaterThan(downloads[i - 1].loaded);
      expect(downloads.at(-1)!.loaded).toBe(BYTES.length);
      // Download first, then one compile attempt (wasm: WebGPU was skipped, not tried).
      expect(events.slice(downloads.length)).toEqual([
        { phase: 'compile', loaded: 0, total: 1, backend: 'wasm' },
        { phase: 'compile', loaded: 1, total: 1, backend: 'wasm' },
      ]);
      expect(await output(model)).toEqual(expected);
      model.dispose();
    }
  });

  it('URLs for the model and its metadata: a classifier', async () => {
    const classifier = await loadBrowser(new URL('/lenet5.onnx', base), { metadata: `${base}/lenet5.json` });
    const reference = await loadClassifier(MODEL);
    expect(await classifier.classify(IMAGES[0])).toEqual(await reference.classify(IMAGES[0]));
    reference.dispose();
    classifier.dispose();
  });
});

describe('load: choosing a backend', () => {
  let gpu: GpuContext | undefined;
  let why = '';

  beforeAll(async () => {
    try {
      gpu = await acquireDevice();
    } catch (e) {
      if (!(e instanceof GpuError)) throw e;
      why = e.message;
    }
  }, 60_000);

  afterAll(() => gpu?.destroy());

  const needGpu = (): GpuContext => {
    if (!gpu) {
      if (process.env.CI) throw new Error(`no WebGPU adapter under CI: ${why}`);
      console.warn(`load.test: skipping a WebGPU check: ${why}`);
    }
    return gpu!;
  };

  it('explicit wasm without relaxed SIMD: plain SIMD, the relaxed build recorded as skipped', async () => {
    const model = await load(BYTES, { backend: 'wasm', relaxedSimd: false });
    const info = model.info();
    expect(info.backend).toBe('wasm');
    expect(info.simd).toBe('simd');
    expect(info.features).not.toContain('relaxed-simd');
    expect(info.attempts).toEqual([
      { backend: 'wasm', simd: 'relaxed', ok: false, skipped: true, error: 'relaxedSimd: false was given' },
      { backend: 'wasm', simd: 'simd', ok: true },
    ]);
    expect(info.reason).toMatch(/^backend 'wasm' asked for: wasm SIMD/);
    const y = await output(model);
    for (let i = 0; i < y.data.length; i++) expect(Math.abs(y.data[i] - expected.data[i])).toBeLessThanOrEqual(1e-4 + 1e-4 * Math.abs(expected.data[i]));
    model.dispose();
  });

  it('auto with a software WebGPU adapter: skipped by default, chosen with allowFallbackAdapter', async () => {
    const ctx = needGpu();
    if (!ctx) return;
    if (ctx.software) {
      const model = await load(BYTES, { gpu: ctx });
      expect(model.info().backend).toBe('wasm');
      expect(model.info().attempts[0]).toMatchObject({ backend: 'webgpu', ok: false, skipped: true });
      expect(model.info().attempts[0].error).toMatch(/software adapter, slower than wasm/);
      model.dispose();
    }
    const model = await load(BYTES, { gpu: ctx, allowFallbackAdapter: true });
    const info = model.info();
    expect(info.backend).toBe('webgpu');
    expect(info.simd).toBeUndefined();
    expect(info.adapter).toBe(ctx.adapterName);
    expect(info.attempts).toEqual([{ backend: 'webgpu', ok: true }]);
    expect(info.reason).toBe('auto chose WebGPU, the first candidate');
    const y = await output(model);
    for (let i = 0; i < y.data.length; i++) expect(Math.abs(y.data[i] - expected.data[i])).toBeLessThanOrEqual(1e-3 + 1e-3 * Math.abs(expected.data[i]));
    model.dispose();
  });

  it('a WebGPU compile that fails: auto records it and falls back to wasm; explicit webgpu throws', async () => {
    if (!needGpu()) return;
    const dead = await acquireDevice();
    dead.destroy();
    await vi.waitFor(() => expect(dead.lost).toBeDefined());
    const model = await load(BYTES, { gpu: dead, allowFallbackAdapter: true });
    const info = model.info();
    expect(info.backend).toBe('wasm');
    expect(info.attempts[0]).toMatchObject({ backend: 'webgpu', ok: false });
    expect(info.attempts[0].skipped).toBeUndefined();
    expect(info.attempts[0].error).toMatch(/device was lost/);
    expect(info.reason).toMatch(/^auto chose wasm .*WebGPU: failed, the GPU device was lost/);
    expect(await output(model)).toEqual(expected);
    model.dispose();
    await expect(load(BYTES, { backend: 'webgpu', gpu: dead })).rejects.toBeInstanceOf(GpuError);
  });

  it('explicit webgpu on the given device, whatever its adapter', async () => {
    const ctx = needGpu();
    if (!ctx) return;
    const model = await load(BYTES, { backend: 'webgpu', gpu: ctx });
    expect(model.info()).toMatchObject({ backend: 'webgpu', attempts: [{ backend: 'webgpu', ok: true }], reason: "backend 'webgpu' asked for: WebGPU" });
    model.dispose();
  });
});

describe('load: abort', () => {
  it('an aborted signal: AbortError before anything is fetched', async () => {
    const before = served.get('/lenet5.onnx') ?? 0;
    const controller = new AbortController();
    controller.abort();
    const err = await load(`${base}/lenet5.onnx`, { signal: controller.signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DOMException);
    expect((err as DOMException).name).toBe('AbortError');
    expect(served.get('/lenet5.onnx') ?? 0).toBe(before);
  });

  it('aborted during the download: AbortError, the transfer stopped', async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    const err = await load(`${base}/slow.onnx`, {
      signal: controller.signal,
      onProgress: (p) => {
        seen.push(p.loaded);
        if (p.loaded > 0) controller.abort();
      },
    }).catch((e: unknown) => e);
    expect((err as DOMException).name).toBe('AbortError');
    expect(seen.at(-1)).toBeGreaterThan(0);
    expect(seen.at(-1)).toBeLessThan(BYTES.length);
    await slowClosed; // the server sees the connection closed (the test times out otherwise)
  });

  it('aborted while compiling: AbortError, and the compiled executable disposed', async () => {
    const made: Executable[] = [];
    const compile = wasmBackend.compile.bind(wasmBackend);
    vi.spyOn(wasmBackend, 'compile').mockImplementation(async (g, o) => {
      const exe = await compile(g, o);
      made.push(exe);
      return exe;
    });
    const controller = new AbortController();
    const err = await load(BYTES, {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.phase === 'compile') controller.abort();
      },
    }).catch((e: unknown) => e);
    expect((err as DOMException).name).toBe('AbortError');
    expect(made).toHaveLength(1);
    expect(made[0].memory().totalBytes).toBe(0);
    await expect(made[0].run(INPUT)).rejects.toBeInstanceOf(ExecutableError);
  });

  it("the caller's reason is the rejection", async () => {
    const reason = new Error('user left the page');
    const controller = new AbortController();
    controller.abort(reason);
    await expect(load(BYTES, { signal: controller.signal })).rejects.toBe(reason);
  });
});

describe('load: bad sources and options are typed errors', () => {
  it.each([
    ['a number', 42, OptionError, /source must be a URL/],
    ['null', null, OptionError, /found null/],
    ['empty bytes', new Uint8Array(0), OnnxError, /empty/],
    ['not ONNX', new TextEncoder().encode('hello, world'), OnnxError, /not an ONNX model/],
    ['a missing file', join(ROOT, 'models/no-such-model.onnx'), OnnxError, /no such file/],
  ])('%s', async (_, source, type, text) => {
    const err = await load(source as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(type);
    expect((err as Error).message).toMatch(text);
  });

  it('an HTTP error, and a server that is not there', async () => {
    await expect(load(`${base}/nothing.onnx`)).rejects.toThrow(new OnnxError('invalid', `cannot download the model from ${base}/nothing.onnx: HTTP 404 Not Found`));
    await expect(load('http://127.0.0.1:1/x.onnx')).rejects.toBeInstanceOf(OnnxError);
  });

  it('a relative path given to the main entry in Node: told to use webconv/node', async () => {
    await expect(loadBrowser('models/lenet5-fashion-mnist.onnx')).rejects.toThrow(OptionError);
    await expect(loadBrowser('models/lenet5-fashion-mnist.onnx')).rejects.toThrow(/webconv\/node/);
  });

  it('a bad backend, metadata that does not fit, metadata that is not there', async () => {
    await expect(load(BYTES, { backend: 'gpu' as never })).rejects.toBeInstanceOf(OptionError);
    await expect(load(BYTES, { metadata: { ...META, labels: ['one', 'two'] } })).rejects.toBeInstanceOf(MetadataError);
    await expect(load(BYTES, { metadata: `${base}/missing.json` })).rejects.toBeInstanceOf(MetadataError);
    await expect(load(BYTES, { metadata: join(ROOT, 'models/none.json') })).rejects.toBeInstanceOf(MetadataError);
  });
});

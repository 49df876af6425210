/**
 * compileInWorker and WorkerClassifier (src/worker/) in headless Chromium, on a page served
 * from dist/ (cross-origin isolated) with the built bundle and dist/webconv.worker.js:
 * - the shipped LeNet-5 gives the same outputs in a worker as in the page (from ONNX bytes
 *   imported in the worker, and from a Graph built on the page), inputs transferred; and on
 *   WebGPU in the worker, the page's wasm outputs within 1e-4 of the largest;
 * - typed errors cross the boundary as the same classes; dispose() terminates the worker
 *   (counted through DevTools) and rejects a pending run;
 * - the page's requestAnimationFrame rate during 20 back-to-back ResNet-18 runs on wasm: on
 *   the page's thread it collapses (which shows the measurement can fail), in a worker it
 *   stays >= 50 frames per second. Both figures are printed.
 * - the example page (dist/example) classifies in workers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, findChromium, servePage } from '../src/bench/browser-runner.js';
import { browserMissing } from './helpers/browser.js';
import { requireOracle } from './helpers/python.js';

const DIST = fileURLToPath(new URL('../dist/', import.meta.url));
const missing = browserMissing();
const profile = mkdtempSync(join(tmpdir(), 'webconv-worker-page-'));
/**
 * Frames at the display's rate in a headless, unfocused page: without these Chromium may
 * throttle a page it considers in the background, and the figure would say nothing.
 */
const FRAME_ARGS = ['--disable-renderer-backgrounding', '--disable-background-timer-throttling', '--disable-backgrounding-occluded-windows'];

let browser: Browser | undefined;
let server: Awaited<ReturnType<typeof servePage>> | undefined;
let page: Page | undefined;
const log: string[] = [];

beforeAll(async () => {
  if (missing) return;
  server = await servePage(DIST);
  browser = await puppeteer.launch({ executablePath: findChromium(), headless: true, userDataDir: profile, args: [...CHROMIUM_ARGS, ...FRAME_ARGS], protocolTimeout: 300_000 });
  page = await browser.newPage();
  page.on('console', (m) => log.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => log.push(`pageerror: ${(e as Error).message}`));
  await page.goto(`${server.url}webconv.browser.js`, { waitUntil: 'load' });
}, 120_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await server?.close();
  rmSync(profile, { recursive: true, force: true });
});

/** Evaluates an async expression in the page; the page's console joins a failure's message. */
async function inPage<T>(body: string): Promise<T> {
  return (await page!.evaluate(`(async () => { ${body} })()`).catch((e: Error) => {
    throw new Error(`${e.message}; the page's console: ${log.slice(-5).join(' | ')}`);
  })) as T;
}

/** Dedicated workers of the page that are alive, as DevTools sees them (settles for up to 5 s). */
async function workersSettleAt(n: number): Promise<number> {
  for (let i = 0; i < 50 && page!.workers().length !== n; i++) await new Promise((r) => setTimeout(r, 100));
  return page!.workers().length;
}

/** Seeded input values, the same on every call. */
const SEEDED = `const seeded = (n, seed) => { const a = new Float32Array(n); let s = seed >>> 0; for (let i = 0; i < n; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; a[i] = s / 2 ** 32 - 0.5; } return a; };`;

const run = requireOracle(!missing, `headless Chromium with the built bundle (${missing})`, 'apt-get install chromium; npm run build');

describe.runIf(run)('a model in a Web Worker, in headless Chromium', () => {
  it('gives the page the same outputs as the page itself; inputs transferred; dispose ends the worker', async () => {
    const before = page!.workers().length;
    const r = await inPage<{ here: number[]; fromBytes: number[]; fromGraph: number[]; detached: number; kept: number; info: { backend: string; features: string[] }; profiled: number; memory: number; top: unknown; topHere: unknown }>(`
      ${SEEDED}
      const w = await import('/webconv.browser.js');
      const bytes = new Uint8Array(await (await fetch('/example/lenet5-fashion-mnist.onnx')).arrayBuffer());
      const meta = await (await fetch('/example/lenet5-fashion-mnist.json')).json();
      const graph = w.importOnnx(bytes, { batch: 1 });
      const x = seeded(1024, 7); // the model's input: 1x1x32x32
      const here = await w.getBackend('wasm').compile(graph);
      const name = here.outputs[0].name;
      const expected = (await here.run(x.slice()))[name].data;
      here.dispose();
      // ONNX bytes, imported in the worker; the input's buffer handed over.
      window.exe = await w.compileInWorker(bytes, { backend: 'wasm' });
      const sent = x.slice();
      const fromBytes = (await exe.run(sent))[name].data;
      // A graph built on the page; inputs copied on request.
      const exe2 = await w.compileInWorker(graph, { transferInputs: false });
      const kept = x.slice();
      const fromGraph = (await exe2.run({ [exe2.inputs[0].name]: { shape: exe2.inputs[0].shape, data: kept } }))[name].data;
      exe2.dispose();
      // The classifier: the same top 3, probabilities and all, as the in-page one.
      const pixels = new Uint8ClampedArray(Array.from(seeded(28 * 28 * 4, 3), (v) => (v + 0.5) * 256));
      const image = new ImageData(pixels, 28, 28);
      const c = await w.WorkerClassifier.create(bytes, meta);
      const ch = await w.Classifier.create(graph, meta);
      const top = await c.classify(image, { topK: 3 });
      const topHere = await ch.classify(image, { topK: 3 });
      c.dispose();
      ch.dispose();
      return { here: Array.from(expected), fromBytes: Array.from(fromBytes), fromGraph: Array.from(fromGraph), detached: sent.length, kept: kept.length,
        info: exe.info(), profiled: exe.profile().length, memory: exe.memory().totalBytes, top, topHere };
    `);
    expect(r.here).toHaveLength(10);
    expect(r.fromBytes).toEqual(r.here);
    expect(r.fromGraph).toEqual(r.here);
    expect(r.detached).toBe(0); // transferred: the page's array is detached
    expect(r.kept).toBe(1024);
    expect(r.info.backend).toBe('wasm');
    expect(r.info.features).toEqual(expect.arrayContaining(['simd', 'worker']));
    expect(r.profiled).toBeGreaterThan(3);
    expect(r.memory).toBeGreaterThan(0);
    expect(r.top).toEqual(r.topHere);
    expect((r.top as unknown[]).length).toBe(3);
    // One worker left (exe's); the classifier's and exe2's were terminated by dispose().
    expect(await workersSettleAt(before + 1)).toBe(before + 1);

    // dispose(): a pending run rejects, later runs reject, the worker ends.
    const d = await inPage<{ pending: string; later: string; memory: number }>(`
      ${SEEDED}
      const w = await import('/webconv.browser.js');
      const p = exe.run(seeded(1024, 1)).then(() => 'resolved', (e) => (e instanceof w.ExecutableError ? 'ExecutableError: ' + e.message : 'other: ' + e));
      exe.dispose();
      const later = await exe.run(seeded(1024, 1)).then(() => 'resolved', (e) => (e instanceof w.ExecutableError ? 'ExecutableError' : 'other: ' + e));
      return { pending: await p, later, memory: exe.memory().totalBytes };
    `);
    expect(d.pending).toBe('ExecutableError: the executable was disposed');
    expect(d.later).toBe('ExecutableError');
    expect(d.memory).toBe(0);
    expect(await workersSettleAt(before)).toBe(before);
  }, 90_000);

  it('runs on WebGPU in the worker (navigator.gpu of the worker): the outputs of wasm on the page', async () => {
    const before = page!.workers().length;
    const r = await inPage<{ here: number[]; there: number[]; backend: string }>(`
      ${SEEDED}
      const w = await import('/webconv.browser.js');
      const bytes = new Uint8Array(await (await fetch('/example/lenet5-fashion-mnist.onnx')).arrayBuffer());
      const x = seeded(1024, 11);
      const here = await w.getBackend('wasm').compile(w.importOnnx(bytes, { batch: 1 }));
      const name = here.outputs[0].name;
      const expected = Array.from((await here.run(x.slice()))[name].data);
      here.dispose();
      const exe = await w.compileInWorker(bytes, { backend: 'webgpu' });
      const there = Array.from((await exe.run(x.slice()))[name].data);
      const backend = exe.info().backend;
      exe.dispose();
      return { here: expected, there, backend };
    `);
    expect(r.backend).toBe('webgpu');
    expect(r.there).toHaveLength(10);
    const scale = Math.max(...r.here.map(Math.abs));
    r.there.forEach((v, i) => expect(Math.abs(v - r.here[i])).toBeLessThanOrEqual(1e-4 * scale));
    // dispose() ended the worker (it ends asynchronously: the next test counts the page's
    // workers, so this one waits for its own to be gone).
    expect(await workersSettleAt(before)).toBe(before);
  }, 90_000);

  it('brings typed errors across as the same classes, with their fields', async () => {
    const before = page!.workers().length;
    const e = await inPage<Record<string, { cls: boolean; name: string; code: string; message: string; kind?: string }>>(`
      const w = await import('/webconv.browser.js');
      const bytes = new Uint8Array(await (await fetch('/example/lenet5-fashion-mnist.onnx')).arrayBuffer());
      const meta = await (await fetch('/example/lenet5-fashion-mnist.json')).json();
      const caught = async (p, cls) => { try { await p; return { cls: false, name: 'none', code: '', message: 'no error' }; } catch (e) { return { cls: e instanceof cls && e instanceof w.WebconvError && e instanceof Error, name: e.name, code: e.code, message: e.message, kind: e.kind }; } };
      const exe = await w.compileInWorker(bytes);
      const shape = await caught(exe.run({ [exe.inputs[0].name]: { shape: [1, 1, 27, 29], data: new Float32Array(783) } }), w.InputError);
      exe.dispose();
      return {
        shape,
        onnx: await caught(w.compileInWorker(new Uint8Array([8, 7, 1, 2, 3])), w.OnnxError),
        metadata: await caught(w.WorkerClassifier.create(bytes, { ...meta, labels: ['one', 'two'] }), w.MetadataError),
        backend: await caught(w.compileInWorker(bytes, { backend: 'no-such-backend' }), w.OptionError),
      };
    `);
    expect(e.shape).toMatchObject({ cls: true, name: 'InputError', code: 'E_INPUT', message: expect.stringMatching(/expected shape \[1, 1, 32, 32\], found \[1, 1, 27, 29\]/) });
    expect(e.onnx).toMatchObject({ cls: true, name: 'OnnxError', code: 'E_ONNX', kind: 'invalid' });
    expect(e.metadata).toMatchObject({ cls: true, name: 'MetadataError', code: 'E_METADATA', message: expect.stringMatching(/names 2 classes/) });
    expect(e.backend).toMatchObject({ cls: true, name: 'OptionError', code: 'E_OPTION', message: expect.stringMatching(/unknown backend 'no-such-backend'/) });
    // Every worker of a failed compile was ended.
    expect(await workersSettleAt(before)).toBe(before);
  }, 60_000);

  it('keeps the page drawing at >= 50 fps during 20 ResNet-18 runs in a worker (on the page thread, it does not)', async () => {
    const r = await inPage<{ idle: number; main: { fps: number; ms: number; frames: number }; worker: { fps: number; ms: number; frames: number }; same: boolean; info: { features: string[] } }>(`
      ${SEEDED}
      const w = await import('/webconv.browser.js');
      const frame = () => new Promise((r) => requestAnimationFrame(r));
      /** Frames per second while f runs (its own duration): the page's rAF callbacks counted. */
      const fps = async (f) => {
        let frames = 0, on = true;
        await frame();
        const tick = () => { frames++; if (on) requestAnimationFrame(tick); };
        requestAnimationFrame(tick);
        const t = performance.now();
        await f();
        const ms = performance.now() - t;
        on = false;
        return { fps: (frames * 1000) / ms, ms, frames };
      };
      const graph = w.buildModel('resnet18');
      const x = seeded(3 * 224 * 224, 11);
      const twenty = (exe) => async () => { for (let i = 0; i < 20; i++) await exe.run(x.slice()); };
      const idle = await fps(() => new Promise((r) => setTimeout(r, 1000)));
      const inWorker = await w.compileInWorker(graph, { backend: 'wasm' });
      const onPage = await w.getBackend('wasm').compile(graph);
      const name = onPage.outputs[0].name;
      const a = (await onPage.run(x.slice()))[name].data;
      const b = (await inWorker.run(x.slice()))[name].data;
      const same = a.length === 1000 && a.every((v, i) => v === b[i]);
      const main = await fps(twenty(onPage));
      const worker = await fps(twenty(inWorker));
      const info = inWorker.info();
      onPage.dispose();
      inWorker.dispose();
      return { idle: idle.fps, main, worker, same, info };
    `);
    const f = (m: { fps: number; ms: number; frames: number }) => `${m.fps.toFixed(1)} fps (${m.frames} frames in ${m.ms.toFixed(0)} ms, ${(m.ms / 20).toFixed(0)} ms per run)`;
    console.log(`ResNet-18 x20 on wasm, headless Chromium: idle page ${r.idle.toFixed(1)} fps; run() on the page's thread ${f(r.main)}; in a worker ${f(r.worker)}`);
    expect(r.same).toBe(true); // the worker computes what the page computes
    expect(r.info.features).toContain('worker');
    // The measurement can fail: the page's rate with nothing running, and while run() holds its thread.
    expect(r.idle).toBeGreaterThanOrEqual(50);
    expect(r.main.fps).toBeLessThan(50);
    expect(r.worker.fps).toBeGreaterThanOrEqual(50);
  }, 120_000);

  it('the example page classifies in workers', async () => {
    const example = await browser!.newPage();
    try {
      await example.goto(`${server!.url}example/index.html`, { waitUntil: 'load' });
      await example.waitForSelector('body[data-ready], body[data-error]', { timeout: 60_000 });
      expect(await example.evaluate('document.body.dataset.error ?? null')).toBeNull();
      expect(await example.evaluate(`document.getElementById('status').textContent`)).toMatch(/^ready: the float32 model \(\d+ KiB\), in a worker\./);
      expect(example.workers().length).toBeGreaterThanOrEqual(1);
    } finally {
      await example.close();
    }
  }, 90_000);
});

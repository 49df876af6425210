/**
 * The example page (examples/classifier-page, built into dist/example by `npm run build`)
 * in headless Chromium, served offline from 127.0.0.1: a Fashion-MNIST test image chosen
 * through its file input is classified on wasm and on WebGPU, and the page shows PyTorch's
 * label for it; switched to the int8 model (its download at most 0.3x), the same label. A file that is no image is a clear error on the page. Screenshot in
 * test-results/.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import puppeteer, { type Browser, type ElementHandle } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, findChromium, servePage } from '../src/bench/browser-runner.js';
import { fashionMnistFile, haveFashionMnist } from './helpers/fashion-mnist.js';
import { requireOracle } from './helpers/python.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PAGE = join(ROOT, 'dist/example');
const META = JSON.parse(readFileSync(join(ROOT, 'models/lenet5-fashion-mnist.json'), 'utf8'));
const TORCH = new Uint8Array(readFileSync(join(ROOT, 'models/lenet5-fashion-mnist.predictions')));
const chromium = findChromium();
const work = mkdtempSync(join(tmpdir(), 'webconv-example-'));
let browser: Browser | undefined;
let server: Awaited<ReturnType<typeof servePage>> | undefined;

beforeAll(async () => {
  if (!chromium) return;
  server = await servePage(PAGE);
  browser = await puppeteer.launch({ executablePath: chromium, headless: true, userDataDir: join(work, 'profile'), args: [...CHROMIUM_ARGS] });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(work, { recursive: true, force: true });
});

describe.runIf(requireOracle(chromium !== undefined, 'chromium', 'apt-get install chromium') && haveFashionMnist)('the example classifier page', () => {
  it('classifies a test image chosen in the page, on wasm and WebGPU, and shows its label', async () => {
    // Test images whose class PyTorch predicts correctly: the page must show that label.
    const labels = fashionMnistFile('t10k-labels-idx1-ubyte.gz').data;
    const images = fashionMnistFile('t10k-images-idx3-ubyte.gz').data;
    const index = [...TORCH.keys()].find((i) => TORCH[i] === labels[i] && TORCH[i] === 7)!; // a sneaker
    const png = new PNG({ width: 28, height: 28 });
    for (let p = 0; p < 784; p++) png.data.set([images[index * 784 + p], images[index * 784 + p], images[index * 784 + p], 255], p * 4);
    const file = join(work, 'sneaker.png');
    writeFileSync(file, PNG.sync.write(png));

    const page = await browser!.newPage();
    const log: string[] = [];
    page.on('console', (m) => log.push(m.text()));
    page.on('pageerror', (e) => log.push(String(e)));
    await page.goto(`${server!.url}index.html`, { waitUntil: 'load' });
    await page.waitForSelector('body[data-ready], body[data-error]', { timeout: 60_000 });
    expect(await page.evaluate('document.body.dataset.error ?? null'), log.join(' | ')).toBeNull();
    const input = (await page.$('#file')) as ElementHandle<HTMLInputElement> | null;
    await input!.uploadFile(file);
    await page.waitForSelector('#results tbody tr[data-label], body[data-error]', { timeout: 60_000 });
    const rows = (await page.evaluate(`[...document.querySelectorAll('#results tbody tr')].map((tr) => ({ backend: tr.dataset.backend, label: tr.dataset.label, text: tr.innerText }))`)) as { backend: string; label: string; text: string }[];
    mkdirSync(join(ROOT, 'test-results'), { recursive: true });
    await page.screenshot({ path: join(ROOT, 'test-results/example-page.png'), fullPage: true });
    expect(rows.map((r) => r.backend)).toEqual(['wasm', 'webgpu']);
    for (const r of rows) {
      expect(r.label).toBe(META.labels[7]);
      expect(r.text).toMatch(/SwiftShader|wasm/);
      expect(r.text).toMatch(/\d+\.\d ms/);
    }
    expect(await page.evaluate(`document.getElementById('status').textContent`)).toBe(`classified: ${META.labels[7]}`);

    // The int8 model (webconv quantize's, a quarter of the download): the same label on both backends.
    const options = (await page.evaluate(`[...document.querySelectorAll('#model option')].map((o) => [o.value, o.textContent])`)) as [string, string][];
    expect(options.map(([v]) => v)).toEqual(['float32', 'int8']);
    const kibs = options.map(([, t]) => Number(/\((\d+) KiB download\)/.exec(t)?.[1]));
    expect(kibs[1]).toBeLessThanOrEqual(0.3 * kibs[0]);
    await page.select('#model', 'int8');
    await page.waitForSelector('body[data-ready="int8"], body[data-error]', { timeout: 60_000 });
    expect(await page.evaluate('document.body.dataset.error ?? null'), log.join(' | ')).toBeNull();
    await page.click('#classify');
    await page.waitForSelector('#results:not([hidden]) tbody tr[data-label], body[data-error]', { timeout: 60_000 });
    const int8 = (await page.evaluate(`[...document.querySelectorAll('#results tbody tr')].map((tr) => ({ backend: tr.dataset.backend, label: tr.dataset.label }))`)) as { backend: string; label: string }[];
    expect(int8).toEqual([{ backend: 'wasm', label: META.labels[7] }, { backend: 'webgpu', label: META.labels[7] }]);

    // A file that is no image: said on the page, nothing else breaks.
    const bad = join(work, 'bad.png');
    writeFileSync(bad, 'not an image');
    await input!.uploadFile(bad);
    await page.waitForSelector('body[data-error]', { timeout: 30_000 });
    expect(await page.evaluate('document.body.dataset.error')).toMatch(/bad.png: not an image this browser can decode/);
    await page.close();
  }, 180_000);
});

/**
 * Every zoo model on every fast backend agrees with the reference backend (max abs error
 * <= 1e-4 x max |reference|): wasm in its plain SIMD and relaxed SIMD builds, WebGPU in
 * Node (Dawn) and WebGPU in headless Chromium (the built browser bundle), both on
 * SwiftShader here. Batch 1, and batch 2 for a representative set. The reference output of
 * each case is computed once and held against each backend in turn.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../src/backends/register-all.js';
import { getBackend } from '../src/backends/registry.js';
import { supports } from '../src/backends/wasm/wasm-module.js';
import type { WasmCompileOptions } from '../src/backends/wasm/wasm-backend.js';
import { releaseSharedGpu } from '../src/backends/webgpu/webgpu-backend.js';
import { buildModel, ZOO, type BackendInfo, type Graph } from '../src/index.js';
import { browserMissing, openBrowserPage, type BrowserPage } from './helpers/browser.js';
import { requireOracle } from './helpers/python.js';
import { seededInput } from './helpers/wasm.js';

/** Models whose classifier fixes the input size run at it; the others at a smaller size (global pooling). */
const SIDE: Record<string, number> = { 'inception-v3': 139, googlenet: 96, mobilenetv2: 96 };
const SMALL = 64;
const FIXED = new Set(['lenet5', 'alexnet', 'alexnet-paper', 'zfnet', 'vgg-a', 'vgg-a-lrn', 'vgg-b', 'vgg-c', 'vgg-d', 'vgg-e']);
const BATCH2 = new Set(['lenet5', 'alexnet-paper', 'resnet18', 'resnet50-d', 'mobilenetv2', 'googlenet', 'inception-v3']);

interface Case {
  readonly graph: Graph;
  readonly input: Float32Array;
  expected?: Float32Array;
  maxRef?: number;
}

function maxError(actual: ArrayLike<number>, c: Case): number {
  let err = 0;
  for (let i = 0; i < c.expected!.length; i++) err = Math.max(err, Math.abs(actual[i] - c.expected![i]));
  return Number.isNaN(err) || actual.length !== c.expected!.length ? Infinity : err;
}

/**
 * Runs in the page (as text: vitest would rewrite a function's dynamic import): builds the
 * zoo model from the bundle (same seeded weights), runs it once on webgpu.
 */
const ZOO_IN_PAGE = `async (name, batch, side, input) => {
  const wc = await import('/webconv.browser.js');
  const g = wc.buildModel(name, { batch, height: side ?? undefined, width: side ?? undefined });
  const exe = await wc.getBackend('webgpu').compile(g);
  try {
    const out = await exe.run(new Float32Array(input));
    return { output: Array.from(out[g.outputs[0]].data), info: exe.info() };
  } finally {
    exe.dispose();
  }
}`;

let gpuWhy: string | undefined;
let page: BrowserPage | undefined;
let pageWhy: string | undefined;

beforeAll(async () => {
  if (!(await getBackend('webgpu').isAvailable())) gpuWhy = 'no WebGPU adapter in Node (see test/webgpu-device.test.ts)';
  pageWhy = browserMissing();
  if (!pageWhy) {
    page = await openBrowserPage();
    const gpu = await page.page.evaluate(async () => {
      const nav = navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } };
      return nav.gpu ? (await nav.gpu.requestAdapter()) !== null : false;
    });
    if (!gpu) pageWhy = 'headless Chromium has no WebGPU adapter';
  }
});

afterAll(async () => {
  await page?.close();
  await releaseSharedGpu();
});

describe('zoo models on wasm and webgpu against the reference backend', () => {
  it('this runtime runs both wasm builds (vitest passes --experimental-wasm-relaxed-simd)', () => {
    expect(supports('simd')).toBe(true);
    expect(supports('relaxed-simd')).toBe(true);
  });
  it('WebGPU is there in Node and in headless Chromium (required under CI)', (ctx) => {
    const why = [gpuWhy, pageWhy].filter(Boolean).join('; ');
    if (!requireOracle(!why, `WebGPU in Node and Chromium (${why})`, "Debian's chromium package and the npm packages webgpu and puppeteer-core")) return ctx.skip();
  });

  for (const m of ZOO) {
    const side = FIXED.has(m.name) ? undefined : SIDE[m.name] ?? SMALL;
    for (const batch of BATCH2.has(m.name) ? [1, 2] : [1]) {
      const title = `${m.name}, batch ${batch}${side ? `, ${side}x${side}` : ''}`;
      const c: Case = { graph: buildModel(m.name, { batch, height: side, width: side }), input: new Float32Array(0) };
      it(`${title}: reference`, async () => {
        (c as { input: Float32Array }).input = seededInput(c.graph);
        const ref = await getBackend('reference').compile(c.graph);
        c.expected = (await ref.run(c.input))[c.graph.outputs[0]].data;
        ref.dispose();
        c.maxRef = c.expected.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
        expect(c.maxRef).toBeGreaterThan(0);
      }, 300_000);

      for (const relaxedSimd of [false, true]) {
        it(`${title}: wasm ${relaxedSimd ? 'relaxed SIMD' : 'SIMD'}`, async (ctx) => {
          if (!c.expected) return ctx.skip();
          const exe = await getBackend('wasm').compile(c.graph, { relaxedSimd } as WasmCompileOptions);
          const actual = (await exe.run(c.input))[c.graph.outputs[0]].data;
          const info = exe.info();
          exe.dispose();
          expect(maxError(actual, c)).toBeLessThanOrEqual(1e-4 * c.maxRef!);
          expect(info.fallbackNodes).toEqual([]);
          expect(info.features).toEqual(relaxedSimd ? ['simd', 'relaxed-simd'] : ['simd']);
        }, 300_000);
      }

      it(`${title}: webgpu in Node`, async (ctx) => {
        if (!c.expected || gpuWhy) return ctx.skip();
        const exe = await getBackend('webgpu').compile(c.graph);
        const actual = (await exe.run(c.input))[c.graph.outputs[0]].data;
        const info = exe.info();
        exe.dispose();
        expect(maxError(actual, c)).toBeLessThanOrEqual(1e-4 * c.maxRef!);
        expect(info.adapter).toMatch(/\(software\)$/);
      }, 300_000);

      it(`${title}: webgpu in headless Chromium`, async (ctx) => {
        if (!c.expected || !page || pageWhy) return ctx.skip();
        const args = JSON.stringify([m.name, batch, side ?? null, Array.from(c.input)]);
        const got = (await page.page.evaluate(`(${ZOO_IN_PAGE})(...${args})`).catch((e: Error) => {
          throw new Error(`${e.message}; the page's console: ${page!.log.slice(-5).join(' | ')}`);
        })) as { output: number[]; info: BackendInfo };
        expect(maxError(got.output, c)).toBeLessThanOrEqual(1e-4 * c.maxRef!);
        expect(got.info.backend).toBe('webgpu');
        expect(got.info.adapter).toMatch(/\(software\)$/);
      }, 300_000);
    }
  }
});

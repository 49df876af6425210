/**
 * Zoo models on the webgpu backend in headless Chromium (WebGPU on SwiftShader, the built
 * browser bundle) agree with the reference backend computed in Node within the 'model'
 * tolerance (1e-4 x max |reference|): one model of each family at batch 1, every op and
 * kernel path of the zoo between them (WEBGPU_BROWSER_ZOO_CASES; every model runs in Node,
 * zoo-webgpu.test.ts). The page builds each model from the bundle (the same seeded weights)
 * and runs it on the input sent from here.
 */
import { describe, expect, it } from 'vitest';
import type { BackendInfo } from '../src/index.js';
import { useWebgpuPage } from './helpers/browser.js';
import { requireOracle } from './helpers/python.js';
import { maxError, WEBGPU_BROWSER_ZOO_CASES, zooReference } from './helpers/zoo-cases.js';

/** Runs in the page, as text (vitest would rewrite a function's dynamic import). */
const RUN_IN_PAGE = `async (name, batch, side, input) => {
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

const gpu = useWebgpuPage();

describe('zoo models on webgpu in headless Chromium against the reference backend', () => {
  it('has Chromium with a WebGPU adapter (required under CI)', (ctx) => {
    if (!requireOracle(!gpu.why(), `WebGPU in headless Chromium (${gpu.why()})`, "Debian's chromium package and the npm package puppeteer-core")) return ctx.skip();
  });
  for (const c of WEBGPU_BROWSER_ZOO_CASES) {
    it(c.title, async (ctx) => {
      const page = gpu.page;
      if (!page || gpu.why()) return ctx.skip();
      const { input, expected, bound } = await zooReference(c);
      const args = JSON.stringify([c.model, c.batch, c.side ?? null, Array.from(input)]);
      const got = (await page.page.evaluate(`(${RUN_IN_PAGE})(...${args})`).catch((e: Error) => {
        throw new Error(`${e.message}; the page's console: ${page.log.slice(-5).join(' | ')}`);
      })) as { output: number[]; info: BackendInfo };
      expect(maxError(got.output, expected)).toBeLessThanOrEqual(bound);
      expect(got.info.backend).toBe('webgpu');
      expect(got.info.adapter).toMatch(/\(software\)$/);
      expect(got.info.fallbackNodes).toEqual([]);
    }, 300_000);
  }
});

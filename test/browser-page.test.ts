/**
 * The browser benchmark page (dist/bench-page, built by `npm run build`) in headless
 * Chromium through runInBrowser, as `webconv bench --browser` runs it: a report measured in
 * the browser, and the page saying plainly whether WebGPU is there.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BrowserError, defaultPageDir, findChromium, runInBrowser } from '../src/bench/browser-runner.js';
import type { BenchReport } from '../src/bench/report.js';
import { OptionError } from '../src/graph/errors.js';
import { requireOracle } from './helpers/python.js';

const pageDir = defaultPageDir();
const chromium = findChromium();

describe('runInBrowser', () => {
  it('fails with typed errors before starting anything: unknown model, missing Chromium', async () => {
    await expect(runInBrowser({ models: ['no-such-net'] })).rejects.toThrow(OptionError);
    const missing = runInBrowser({ models: ['lenet5'], chromiumPath: '/nonexistent/chromium' });
    await expect(missing).rejects.toBeInstanceOf(BrowserError);
    await expect(missing).rejects.toMatchObject({ code: 'E_BROWSER', message: expect.stringMatching(/apt-get install chromium/) });
    // Any existing file passes for the browser here: the missing page is found before a launch.
    await expect(runInBrowser({ models: ['lenet5'], pageDir: join(pageDir, 'nowhere'), chromiumPath: process.execPath })).rejects.toMatchObject({ kind: 'missing-page', message: expect.stringMatching(/npm run build/) });
  });

  it.runIf(requireOracle(chromium !== undefined, 'chromium', 'apt-get install chromium'))('lenet5 in headless Chromium: a browser report, and the page states whether WebGPU is there', async () => {
    if (!existsSync(join(pageDir, 'index.html'))) throw new Error(`the benchmark page is not built (${pageDir}): run npm run build`);
    const steps: string[] = [];
    let page: { note: string; state: string; status: string; envGpu: string; dots: number; isolated: boolean; error: unknown } | undefined;
    const report: BenchReport = await runInBrowser({
      models: ['lenet5'],
      timeMs: 300,
      threads: 1,
      onProgress: (p) => steps.push(p.step),
      inspect: async (evaluate) => {
        page = await evaluate(`({
          note: document.getElementById('webgpu-note').textContent,
          state: document.getElementById('webgpu-note').dataset.webgpu,
          status: document.getElementById('status').textContent,
          envGpu: document.getElementById('webgpu-status').textContent,
          dots: document.querySelectorAll('#roofline-lenet5 circle[data-layer]').length,
          isolated: window.crossOriginIsolated,
          error: window.__webconvError ?? null,
        })`);
      },
    });

    expect(report).toMatchObject({ tool: 'webconv', environment: { runtime: 'browser' } });
    const env = report.environment;
    expect(env.userAgent).toMatch(/Chrome/);
    expect(env.node).toBeUndefined();
    expect(env.wasmFeatures).toEqual(expect.arrayContaining(['simd', 'threads'])); // served cross-origin isolated
    expect(report.peaks.wasmSimdGflops).toBeGreaterThan(1);
    expect(report.peaks.wasmBandwidthGBs).toBeGreaterThan(0.1);
    expect(report.models).toHaveLength(1);
    const m = report.models[0];
    expect(m).toMatchObject({ model: 'lenet5', backend: 'wasm', batch: 1, info: { threads: 1 } });
    expect(m.layers.reduce((a, l) => a + l.flops, 0)).toBe(m.totals.flops);
    expect(m.warm.samples).toBeGreaterThanOrEqual(5);
    expect(m.warm.medianMs).toBeGreaterThan(0);
    expect(m.memory.predictedBytes).toBeGreaterThan(0);
    expect(m.layers.every((l) => l.countedMacs !== undefined)).toBe(true);
    expect(m.layers.filter((l) => l.flops > 0).every((l) => l.attainableGflops > 0 && l.ms >= 0)).toBe(true);
    // A browser's clock ticks in 5 µs steps (cross-origin isolated): LeNet's smallest layers may read 0.
    expect(m.layers.reduce((a, l) => a + l.ms, 0)).toBeGreaterThan(0);
    expect(steps).toEqual(['compile', 'warm runs', 'MAC count', 'done']);

    // The page says it, in the words the report holds.
    expect(page).toBeDefined();
    expect(page!.error).toBeNull();
    expect(page!.isolated).toBe(true);
    expect(page!.status).toMatch(/^done: 1 model/);
    expect(page!.dots).toBe(m.layers.filter((l) => l.flops > 0).length);
    if ('adapter' in env.webgpu) {
      expect(env.webgpu.adapter.length).toBeGreaterThan(0);
      expect(page!.state).toBe('present');
      expect(page!.note).toContain('WebGPU is present');
      expect(page!.note).toContain(env.webgpu.adapter);
      expect(page!.envGpu).toContain(env.webgpu.adapter);
    } else {
      expect(env.webgpu.absent.length).toBeGreaterThan(0);
      expect(page!.state).toBe('absent');
      expect(page!.note).toContain('WebGPU is absent');
      expect(page!.envGpu).toContain(env.webgpu.absent);
    }
  });

  it.runIf(chromium !== undefined)('two threads in the page (Web Workers over shared memory), two models in a row', async () => {
    const report = await runInBrowser({ models: ['lenet5', 'lenet5', 'mobilenetv2'], timeMs: 200, threads: 2, timeoutMs: 120_000 });
    expect(report.models.map((m) => m.info.threads)).toEqual([2, 2, 2]);
    expect(report.models[2].info.features).toContain('threads');
    expect(report.models[2].warm.medianMs).toBeGreaterThan(0);
  }, 180_000);

  it.runIf(chromium !== undefined)('with WebGPU absent the page still benchmarks wasm, and says WebGPU is absent', async () => {
    let page: { note: string; state: string } | undefined;
    const report = await runInBrowser({
      models: ['lenet5'],
      timeMs: 200,
      webgpu: false,
      inspect: async (evaluate) => {
        page = await evaluate(`({ note: document.getElementById('webgpu-note').textContent, state: document.getElementById('webgpu-note').dataset.webgpu })`);
      },
    });
    expect('absent' in report.environment.webgpu).toBe(true);
    expect(report.models[0].warm.medianMs).toBeGreaterThan(0);
    expect(page).toMatchObject({ state: 'absent', note: expect.stringContaining('WebGPU is absent') });
  }, 120_000);

  it.runIf(chromium !== undefined)('benchmarks the webgpu backend in the page: its adapter, the WebGPU peaks, GPU time per layer', async () => {
    let note = '';
    const report = await runInBrowser({
      models: ['lenet5'],
      timeMs: 200,
      backend: 'webgpu',
      inspect: async (evaluate) => {
        note = await evaluate(`document.getElementById('webgpu-note').textContent`);
      },
    });
    const m = report.models[0];
    expect(m.backend).toBe('webgpu');
    expect(m.info.adapter).toMatch(/\(software\)$/);
    expect(note).toContain('The benchmark runs on WebGPU');
    expect(report.peaks.webgpuGflops).toBeGreaterThan(0);
    expect(report.peaks.webgpuBandwidthGBs).toBeGreaterThan(0);
    const convs = m.layers.filter((l) => l.type === 'conv2d');
    expect(convs.length).toBeGreaterThan(0);
    expect(convs.every((l) => l.ms > 0 && l.percentOfPeak > 0)).toBe(true);
  }, 180_000);
});

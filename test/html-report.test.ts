/**
 * The HTML report: a real (quick) benchmark rendered to one self-contained page, opened in
 * headless Chromium from a file: the charts are drawn (one roofline dot per layer with
 * FLOPs, bars of non-zero size), nothing is fetched, every string from the report is
 * escaped. Leaves test-results/report.html and report.png as artefacts.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'puppeteer-core';
import puppeteer from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, findChromium } from '../src/bench/browser-runner.js';
import { runBenchmark } from '../src/bench/harness.js';
import { esc, renderHtmlReport } from '../src/bench/html-report.js';
import type { BenchReport } from '../src/bench/report.js';
import '../src/backends/register-all.js';
import { buildModel } from '../src/models/zoo.js';
import { requireOracle } from './helpers/python.js';

const OUT = resolve('test-results');
let report: BenchReport;
let html: string;

beforeAll(async () => {
  report = await runBenchmark([buildModel('lenet5'), buildModel('mobilenetv2', { height: 96, width: 96 })], { timeMs: 200, minSamples: 3 });
  html = renderHtmlReport(report);
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, 'report.html'), html);
});

describe('renderHtmlReport', () => {
  it('is one self-contained page: no script, no external reference', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/\bsrc\s*=/i);
    expect(html).not.toMatch(/url\(/i);
    // Every link stays in the page (or is the inline favicon).
    for (const [, href] of html.matchAll(/href="([^"]*)"/g)) expect(href === 'data:,' || href.startsWith('#')).toBe(true);
    expect(html).not.toMatch(/https?:\/\//);
  });

  it('shows the environment, the peaks, and per model latency, throughput, memory, layers and mismatches', () => {
    for (const m of report.models) {
      expect(html).toContain(`id="roofline-${m.model}"`);
      expect(html).toContain(`id="layers-${m.model}"`);
      expect(html).toContain(`id="memory-${m.model}"`);
      for (const l of m.layers) expect(html).toContain(`<tr data-layer="${esc(l.name)}">`);
      for (const x of m.macMismatches) expect(html).toContain(x.counted.toLocaleString('en-US'));
    }
    expect(html).toContain('navigator.gpu is not defined'); // Node: WebGPU absent, and why
    expect(html).toContain('wasm SIMD peak');
    expect(html).toContain('memory bandwidth');
  });

  it('escapes every string taken from the report', () => {
    const evil = '<img src=x onerror=alert(1)>"&\'';
    const m = report.models[0];
    const bad: BenchReport = {
      ...report,
      environment: { ...report.environment, cpu: evil, webgpu: { absent: evil } },
      models: [{ ...m, model: evil, layers: m.layers.map((l) => ({ ...l, name: evil + l.name, type: evil })), compare: [{ runtime: evil, info: evil, coldMs: 1, warm: m.warm, webconvWarm: m.warm, rounds: 10, achievedGflops: 1, speedup: 1, speedupOfMin: 1, maxAbsDiff: 0 }] }],
    };
    const out = renderHtmlReport(bad);
    expect(out).not.toContain('<img');
    expect(out).not.toContain('onerror=alert(1)>"');
    expect(out).toContain('&lt;img src=x onerror=alert(1)&gt;&quot;&amp;&#39;');
  });
});

describe('the report in Chromium', () => {
  const chromium = findChromium();
  const run = requireOracle(chromium !== undefined, 'chromium', 'apt-get install chromium');
  let browser: Browser;
  let page: Page;
  let profile: string;
  const requests: string[] = [];

  beforeAll(async () => {
    if (!run) return;
    profile = mkdtempSync(join(tmpdir(), 'webconv-test-chromium-'));
    browser = await puppeteer.launch({ executablePath: chromium, headless: true, userDataDir: profile, args: [...CHROMIUM_ARGS] });
    page = await browser.newPage();
    await page.setViewport({ width: 1100, height: 900 });
    page.on('request', (r) => requests.push(r.url()));
  });
  afterAll(async () => {
    await browser?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it.runIf(run)('draws the charts offline: a roofline dot per layer with FLOPs, bars of non-zero size', async () => {
    const url = pathToFileURL(join(OUT, 'report.html')).href;
    await page.goto(url, { waitUntil: 'load' });
    for (const m of report.models) {
      const drawn = await page.evaluate((model) => {
        const svg = (id: string) => document.getElementById(`${id}-${model}`) as unknown as SVGSVGElement;
        const size = (e: Element) => {
          const r = e.getBoundingClientRect();
          return { width: r.width, height: r.height };
        };
        const roof = svg('roofline');
        const box = roof.viewBox.baseVal;
        return {
          dots: [...roof.querySelectorAll('circle[data-layer]')].map((c) => {
            const cx = Number(c.getAttribute('cx')), cy = Number(c.getAttribute('cy'));
            return { layer: c.getAttribute('data-layer'), inside: cx >= 0 && cx <= box.width && cy >= 0 && cy <= box.height, title: c.querySelector('title')?.textContent ?? '' };
          }),
          roofline: roof.querySelectorAll('polyline.roof').length,
          layerBars: [...svg('layers').querySelectorAll('g[data-layer]')].map((g) => ({
            layer: g.getAttribute('data-layer'),
            bound: size(g.querySelector('[data-kind=attainable]')!).height,
            achieved: size(g.querySelector('[data-kind=achieved]')!),
          })),
          memory: [...svg('memory').querySelectorAll('rect[data-bar]')].map((r) => ({ bar: r.getAttribute('data-bar'), width: size(r).width, height: size(r).height })),
          rows: document.querySelectorAll(`#model-${model} table.layers tbody tr`).length,
          width: size(roof).width,
        };
      }, m.model);
      const withFlops = m.layers.filter((l) => l.flops > 0);
      expect(drawn.dots.map((d) => d.layer)).toEqual(withFlops.map((l) => l.name));
      expect(drawn.dots.every((d) => d.inside)).toBe(true);
      expect(drawn.dots.every((d, i) => d.title.startsWith(`${withFlops[i].name} (${withFlops[i].type})`))).toBe(true);
      expect(drawn.roofline).toBe(1);
      expect(drawn.width).toBeGreaterThan(500);
      expect(drawn.layerBars.map((b) => b.layer)).toEqual(withFlops.map((l) => l.name));
      for (const [i, b] of drawn.layerBars.entries()) {
        expect(b.bound).toBeGreaterThan(0);
        expect(b.achieved.width).toBeGreaterThan(0);
        if (withFlops[i].achievedGflops > 0) expect(b.achieved.height).toBeGreaterThan(0);
      }
      expect(drawn.memory.map((b) => b.bar)).toEqual(expect.arrayContaining(['predicted', 'measured-weights', 'measured-arena']));
      for (const b of drawn.memory) expect(b.width * b.height).toBeGreaterThan(0);
      expect(drawn.rows).toBe(m.layers.length);
    }
    // Nothing but the file itself was requested.
    expect(requests.filter((r) => r !== url)).toEqual([]);
    await page.screenshot({ path: join(OUT, 'report.png'), fullPage: true });
  });

  it.runIf(run)('parses escaped strings back to the raw text, with no element injected', async () => {
    const evil = '<img src=x onerror="window.__pwned=1">';
    const m = report.models[0];
    await page.setContent(renderHtmlReport({ ...report, models: [{ ...m, model: evil, layers: m.layers.map((l) => ({ ...l, name: `${evil}${l.name}` })) }] }));
    const seen = await page.evaluate(() => ({
      imgs: document.querySelectorAll('img').length,
      title: document.querySelector('section.model h2')?.firstChild?.textContent?.trim(),
      dot: document.querySelector('svg circle')?.getAttribute('data-layer'),
      pwned: (window as { __pwned?: number }).__pwned,
    }));
    expect(seen).toEqual({ imgs: 0, title: evil, dot: `${evil}${m.layers[0].name}`, pwned: undefined });
  });
});

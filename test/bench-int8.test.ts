/**
 * webconv bench --compare float, float=<file>: a quantized model's int8 run alternating with
 * its float32 run (the same file with the int8 pass off, or the float original), reported
 * like a peer, with each qconv2d layer paired with the float run's layer of its name; and
 * the refusals where nothing would differ. No speed is asserted: only that the ratios are
 * the reported times' ratios.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BenchReport, ModelReport } from '../src/bench/report.js';

const CLI = new URL('../dist/cli/main.js', import.meta.url).pathname;
const ROOT_DIR = new URL('..', import.meta.url).pathname;
const INT8 = join(ROOT_DIR, 'models/lenet5-fashion-mnist.int8.onnx');
const FLOAT = join(ROOT_DIR, 'models/lenet5-fashion-mnist.onnx');
const webconv = (...args: string[]) =>
  spawnSync(process.execPath, ['--experimental-wasm-relaxed-simd', CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
const dir = mkdtempSync(join(tmpdir(), 'webconv-bench-int8-'));

describe('webconv bench --compare float', () => {
  let m: ModelReport;
  let text: string;
  let html: string;
  beforeAll(() => {
    // One run, both forms: the text on stdout, the JSON and HTML to files.
    const json = join(dir, 'int8.json');
    const page = join(dir, 'int8.html');
    const r = webconv('bench', INT8, '--compare', `float,float=${FLOAT}`, '--time', '100', '--json', json, '--html', page);
    expect(r.status, r.stderr).toBe(0);
    m = (JSON.parse(readFileSync(json, 'utf8')) as BenchReport).models[0];
    text = r.stdout;
    html = readFileSync(page, 'utf8');
  }, 120_000);

  it('reports each float run like a peer: alternating rounds, positive times, ratios of those times', () => {
    expect(m.compare?.map((c) => c.runtime)).toEqual(['webconv float (int8 off)', 'webconv float (lenet5-fashion-mnist.onnx)']);
    for (const c of m.compare!) {
      expect(c.error).toBeUndefined();
      expect(c.rounds).toBeGreaterThanOrEqual(10);
      expect(c.warm.samples).toBe(c.rounds);
      expect(c.webconvWarm.samples).toBe(c.rounds);
      for (const t of [c.warm.minMs, c.warm.medianMs, c.webconvWarm.minMs, c.webconvWarm.medianMs]) expect(t).toBeGreaterThan(0);
      // speedupOfMin = float min / int8 min, speedup = float median / int8 median, as reported.
      expect(c.speedupOfMin).toBeCloseTo(c.warm.minMs / c.webconvWarm.minMs, 10);
      expect(c.speedup).toBeCloseTo(c.warm.medianMs / c.webconvWarm.medianMs, 10);
      expect(Number.isFinite(c.maxAbsDiff)).toBe(true);
    }
  });

  it("pairs every qconv2d layer of the int8 run with the float run's layer of its name", () => {
    const qconvs = m.layers.filter((l) => l.type === 'qconv2d').map((l) => l.name);
    expect(qconvs.length).toBe(2);
    const summary = JSON.parse(webconv('summary', FLOAT, '--optimize', '--json').stdout) as { layers: { name: string; type: string }[] };
    const floatConvs = summary.layers.filter((l) => l.type === 'conv2d').map((l) => l.name);
    const [off, file] = m.compare!;
    for (const c of [off, file]) {
      expect(c.layers!.map((p) => p.layer)).toEqual(qconvs);
      for (const p of c.layers!) {
        expect(p.ms).toBeGreaterThan(0);
        expect(p.peerMs).toBeGreaterThan(0);
        expect(p.speedup).toBeCloseTo(p.peerMs! / p.ms, 10);
      }
    }
    // The same file: the very same node names. The float original: its convs' names, which
    // webconv's export (and so `webconv quantize`) suffixes with the op type.
    expect(off.layers!.map((p) => p.peerLayer)).toEqual(qconvs);
    expect(file.layers!.map((p) => p.peerLayer)).toEqual(floatConvs);
    expect(qconvs).toEqual(floatConvs.map((n) => `${n}/Conv`));
  });

  it('shows the pairs in the text and HTML reports', () => {
    expect(text).toMatch(/vs webconv float \(int8 off\) \(\d+ alternating rounds\): .* int8 [\d.]+x \(min\) \/ [\d.]+x \(median\) faster/);
    expect(text).toMatch(/vs webconv float \(lenet5-fashion-mnist\.onnx\)/);
    expect(text).toMatch(/\/features\/features\.3\/Conv\/Conv +[\d.]+ \| +[\d.]+ \| [\d.]+x +\(float: \/features\/features\.3\/Conv\)/);
    expect(html.match(/<table class="pairs"/g)?.length).toBe(2);
    expect(html).toContain('data-layer="/features/features.0/Conv/Conv"');
  });

  const bad: [string[], RegExp][] = [
    [['bench', 'lenet5', '--compare', 'float'], /--compare float: 'lenet5' has no quantized convs/],
    [['bench', FLOAT, '--compare', `float=${INT8}`], /--compare float: '.*lenet5-fashion-mnist\.onnx' has no quantized convs/],
    [['bench', INT8, '--compare', 'float', '--backend', 'reference'], /--compare float turns off the int8 kernels of the wasm and webgpu backends: the reference backend runs the file's float path only/],
    [['bench', INT8, '--compare', 'float=resnet18'], /--compare float=resnet18: its input is 1x3x224x224, '.*int8\.onnx' takes 1x1x32x32/],
    [['bench', INT8, '--compare', 'float=/nonexistent.onnx'], /model file '\/nonexistent\.onnx' not found/],
    [['bench', INT8, '--compare', 'float='], /--compare float=<model.onnx>: no file given/],
  ];
  for (const [args, message] of bad) {
    it(`refuses: webconv ${args.map((a) => a.replace(ROOT_DIR, '')).join(' ')}`, () => {
      const r = webconv(...args);
      expect(r.status).not.toBe(0);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    });
  }
});

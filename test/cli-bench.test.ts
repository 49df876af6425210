/**
 * webconv bench: per-layer rows whose analytic FLOPs sum exactly to `webconv summary`'s
 * total, each with its measured time and GFLOP/s; peers side by side; bad input.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BenchReport } from '../src/bench/report.js';

const CLI = new URL('../dist/cli/main.js', import.meta.url).pathname;
const ROOT_DIR = new URL('..', import.meta.url).pathname;
const webconv = (...args: string[]) =>
  spawnSync(process.execPath, ['--experimental-wasm-relaxed-simd', CLI, ...args], { encoding: 'utf8', timeout: 300_000 });
const dir = mkdtempSync(join(tmpdir(), 'webconv-bench-'));

describe('webconv bench', () => {
  it('resnet50 --json: layers sum exactly to the summary total, each measured', () => {
    const file = join(dir, 'resnet50.json');
    const r = webconv('bench', 'resnet50', '--json', file, '--time', '300');
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(file, 'utf8')) as BenchReport;
    const summary = JSON.parse(webconv('summary', 'resnet50', '--json').stdout);
    const m = report.models[0];
    expect(m.layers.reduce((a, l) => a + l.flops, 0)).toBe(summary.totals.flops);
    expect(m.totals.flops).toBe(summary.totals.flops);
    for (const l of m.layers) {
      expect(l.ms).toBeGreaterThan(0);
      expect(Number.isFinite(l.achievedGflops)).toBe(true);
      expect(l.attainableGflops).toBeGreaterThan(0);
    }
    expect(report.peaks.wasmSimdGflops).toBeGreaterThan(1);
    expect(report.peaks.wasmBandwidthGBs).toBeGreaterThan(0.1);
    expect(report.environment).toMatchObject({ runtime: 'node', wasmFeatures: expect.arrayContaining(['simd']) });
    expect(m.warm.samples).toBeGreaterThanOrEqual(5);
    // Memory: measured within 10% of the planner's prediction.
    expect(Math.abs(m.memory.measuredBytes - m.memory.predictedBytes) / m.memory.predictedBytes).toBeLessThanOrEqual(0.1);
    // Kernels count what they execute: at least the cost model's executed MACs (the lecture's,
    // or Winograd's where a 3x3 conv runs by it), more only by block padding.
    const convs = m.layers.filter((l) => l.macs > 0);
    for (const l of convs) {
      expect(l.countedMacs).toBeGreaterThanOrEqual(l.executedMacs);
      expect(l.countedMacs!).toBeLessThan(1.5 * l.executedMacs);
    }
    // ResNet-50's stride-1 3x3 convs of 56x56 to 14x14 run by Winograd, fewer multiplications
    // than the lecture's: 3 of stage 1, 3 of stage 2 and 5 of stage 3 (each stage's first is stride 2).
    expect(convs.filter((l) => l.executedMacs < l.macs).length).toBe(11);
    expect(m.macMismatches.map((x) => x.layer).sort()).toEqual(convs.filter((l) => l.countedMacs !== l.executedMacs).map((l) => l.name).sort());
    // The 7x7 layers pad 49 pixels to 56: they must show up as mismatches.
    expect(m.macMismatches.some((x) => x.layer.startsWith('conv.s4'))).toBe(true);
    expect(r.stdout).toMatch(/counted MACs differ from the cost model in \d+ layer\(s\) \(block padding\)/);
  }, 300_000);

  for (const backend of ['wasm', 'webgpu'] as const) {
    it(`a quantized model on ${backend}: its convs run as qconv2d rows, held against the measured int8 peak`, () => {
      const r = webconv('bench', join(ROOT_DIR, 'models/lenet5-fashion-mnist.int8.onnx'), '--json', '-', '--time', '100', '--backend', backend);
      expect(r.status, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout) as BenchReport;
      // wasm: i32x4.dot_i16x8_s chains; webgpu: dot4I8Packed chains (SwiftShader here, a CPU: slower).
      const int8 = backend === 'wasm' ? report.peaks.wasmInt8Gops! : report.peaks.webgpuInt8Gops!;
      expect(int8).toBeGreaterThan(backend === 'wasm' ? 1 : 0);
      if (backend === 'webgpu') expect(report.peaks.webgpuGflops).toBeGreaterThan(0);
      // On wasm the int8 kernels' MAC counters equal the executed MACs the harness predicts.
      else {
        const qconvs = new Set(report.models[0].layers.filter((l) => l.type === 'qconv2d').map((l) => l.name));
        expect(report.models[0].macMismatches.filter((m) => qconvs.has(m.layer))).toEqual([]);
      }
      const q = report.models[0].layers.filter((l) => l.type === 'qconv2d');
      expect(q.length).toBe(2);
      for (const l of q) {
        expect(l.ms).toBeGreaterThan(0);
        expect(l.percentOfPeak).toBeCloseTo((100 * l.achievedGflops) / int8, 6);
        expect(l.attainableGflops).toBeLessThanOrEqual(int8);
      }
    }, 120_000);
  }

  it('--compare ort-web,tfjs-wasm: each peer alternates with webconv in the same process, same answer', () => {
    const r = webconv('bench', 'resnet18', '--json', '-', '--time', '200', '--compare', 'ort-web,tfjs-wasm');
    expect(r.status, r.stderr).toBe(0);
    const m = (JSON.parse(r.stdout) as BenchReport).models[0];
    expect(m.compare?.map((c) => c.runtime)).toEqual(['ort-web', 'tfjs-wasm']);
    const maxLogit = 100; // ResNet-18's seeded logits are O(10)
    for (const c of m.compare!) {
      expect(c.error).toBeUndefined();
      // At least 10 alternating rounds, a run of each per round, and the ratios are of those rounds.
      expect(c.rounds).toBeGreaterThanOrEqual(10);
      expect(c.warm.samples).toBe(c.rounds);
      expect(c.webconvWarm.samples).toBe(c.rounds);
      expect(c.speedup).toBeCloseTo(c.warm.medianMs / c.webconvWarm.medianMs, 10);
      expect(c.speedupOfMin).toBeCloseTo(c.warm.minMs / c.webconvWarm.minMs, 10);
      expect(c.maxAbsDiff).toBeLessThan(1e-4 * maxLogit);
    }
  }, 300_000);

  const bad: [string[], RegExp][] = [
    [['bench', 'resnet9000'], /unknown model 'resnet9000'/],
    [['bench', 'lenet5', '--batch', '0'], /--batch must be a positive integer, found '0'/],
    [['bench', 'lenet5', '--json', '/nonexistent-dir/out.json'], /cannot write --json '\/nonexistent-dir\/out.json': ENOENT/],
    [['bench', 'lenet5', '--html', '/proc/forbidden.html'], /cannot write --html/],
    [['bench', 'lenet5', '--compare', 'caffe'], /--compare: unknown peer 'caffe'/],
    [['bench'], /bench needs at least one model/],
  ];
  for (const [args, message] of bad) {
    it(`bad input: webconv ${args.join(' ')} -> one clear line, non-zero exit`, () => {
      const r = webconv(...args);
      expect(r.status).not.toBe(0);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    });
  }
});

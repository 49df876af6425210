/**
 * The fused inverted residual on WebGPU (issue 14, kernels/bottleneck.wgsl): every zoo model
 * with inverted residuals agrees with the reference backend within the zoo's 'model'
 * tolerance with the fused kernel running its blocks (the executable's profile names them);
 * unit blocks at the edges of the tiling agree with the float64 reference within the WebGPU
 * op tolerance; the tile choice stays within the workgroup limits; and the fused blocks hold
 * less in the arena than their convs do.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../src/backends/register-all.js';
import { getBackend } from '../src/backends/registry.js';
import type { Executable } from '../src/backends/backend.js';
import { bottleneckTile, D_SIZE, E_SIZE } from '../src/backends/webgpu/kernels/bottleneck.js';
import { releaseSharedGpu, type WebgpuCompileOptions } from '../src/backends/webgpu/webgpu-backend.js';
import { buildModel } from '../src/index.js';
import { invertedResidualShape } from '../src/ops/inverted-residual.js';
import { fuseBottlenecks } from '../src/plan/fuse-bottleneck.js';
import { optimizeGraph } from '../src/plan/passes.js';
import { expectOutputsAgree, INVERTED_RESIDUAL_CASES, invertedResidualGraph, seededFeeds, tolerance } from './helpers/op-cases.js';
import { requireOracle } from './helpers/python.js';
import { maxError, WEBGPU_FUSED_CASES, zooReference } from './helpers/zoo-cases.js';

let available = false;
beforeAll(async () => {
  available = await getBackend('webgpu').isAvailable();
}, 60_000);
afterAll(() => releaseSharedGpu());

const webgpu = () => getBackend('webgpu');
/** The nodes of a run executable that ran the fused kernel (its profile: one row per node of the compiled graph). */
const fusedNodes = (exe: Executable) => exe.profile?.().filter((t) => t.op === 'invertedresidual').map((t) => t.node) ?? [];

function gpuIt(name: string, fn: () => Promise<unknown>, timeout = 120_000): void {
  it(name, async (ctx) => {
    if (!available) return ctx.skip();
    await fn();
  }, timeout);
}

describe('the fused inverted residual on webgpu', () => {
  it('has a WebGPU adapter (required under CI)', (ctx) => {
    if (!requireOracle(available, 'a WebGPU adapter in Node', "Debian's chromium package (SwiftShader) and the npm package webgpu")) return ctx.skip();
  });

  // That the fused kernel runs the blocks it should, on a model with whole blocks (MobileNetV2
  // at batch 2) and one with squeeze-excite halves (EfficientNet-B0): zoo cases that
  // test/zoo-webgpu.test.ts, which checks every other zoo model's accuracy on webgpu, leaves
  // to this file (WEBGPU_FUSED_CASES).
  it('runs the zoo cases zoo-webgpu leaves to it', () => {
    expect(WEBGPU_FUSED_CASES.map((c) => `${c.model} b${c.batch}`)).toEqual(['mobilenetv2 b2', 'efficientnet-b0 b1']);
  });
  for (const c of WEBGPU_FUSED_CASES) {
    gpuIt(`${c.model}, batch ${c.batch}, ${c.side}x${c.side}: agrees with the reference, its blocks fused`, async () => {
      const { graph, input, expected, bound } = await zooReference(c);
      const { blocks, halves } = fuseBottlenecks(optimizeGraph(graph).graph);
      expect(blocks.length + halves.length, 'the pass fuses blocks').toBeGreaterThan(0);
      const exe = await webgpu().compile(graph);
      try {
        const actual = (await exe.run(input))[graph.outputs[0]].data;
        expect(maxError(actual, expected)).toBeLessThanOrEqual(bound);
        expect(exe.info().fallbackNodes).toEqual([]);
        expect(fusedNodes(exe).sort()).toEqual([...blocks, ...halves].sort());
      } finally {
        exe.dispose();
      }
    }, 300_000);
  }

  // The kernel's edges beyond INVERTED_RESIDUAL_CASES (which test/webgpu-kernels.test.ts runs
  // fused too): MobileNetV2's last block (960 -> 320 at 7x7: many chunks, several channel
  // slices), expansion 1 with a residual at batch 2 on odd sides, a 1-pixel image at stride 2.
  const extra: [string, (typeof INVERTED_RESIDUAL_CASES)[number]][] = [
    ['960 expanded -> 320 output channels at 7x7 (several chunks, channel slices)', ['', [1, 160, 7, 7], 6, 320, 3, 1, { op: 'clip', min: 0, max: 6 }, false]],
    ['expansion 1, 3x3 s1, relu, residual, 17x5, batch 2', ['', [2, 12, 17, 5], 1, 12, 3, 1, { op: 'relu' }, true]],
    ['expansion 4, 3x3 s2, relu6, 1x1 input', ['', [1, 8, 1, 1], 4, 8, 3, 2, { op: 'clip', min: 0, max: 6 }, false]],
  ];
  // INVERTED_RESIDUAL_CASES themselves, whole blocks and squeeze-excite halves, run on webgpu
  // in test/webgpu-kernels.test.ts (test/helpers/op-cases.ts).
  for (const [label, c] of extra) {
    gpuIt(`block: ${label}`, async () => {
      const g = invertedResidualGraph(c);
      const feeds = seededFeeds(g, { low: -1, high: 1 });
      const ref = await getBackend('reference').compile(g, { optimize: false });
      const want = await ref.run(feeds);
      ref.dispose();
      const exe = await webgpu().compile(g);
      try {
        const got = await exe.run(feeds);
        expect(fusedNodes(exe)).toEqual(['y']);
        expectOutputsAgree(g.outputs, got, want, tolerance(g, feeds, 'webgpu'));
      } finally {
        exe.dispose();
      }
    });
  }

  it('picks tiles within 16 KiB of workgroup storage and 256 invocations for every block of the zoo', () => {
    for (const model of ['mobilenetv2', 'mobilenetv3-large', 'efficientnet-b0', 'mnasnet']) {
      const g = fuseBottlenecks(optimizeGraph(buildModel(model)).graph).graph;
      for (const n of g.nodes.filter((n) => n.op === 'invertedresidual')) {
        const s = invertedResidualShape(n, n.inputs.map((t) => g.shape(t)));
        const t = bottleneckTile(s)!;
        expect(t, `${model} ${n.name}`).toBeDefined();
        // The shader's fixed e_tile and d_tile, within WebGPU's guaranteed 16 KiB.
        expect(4 * E_SIZE + 16 * D_SIZE).toBeLessThanOrEqual(16384);
        const GP = Math.ceil((t.TH * t.TW) / 4);
        expect(t.eFloats).toBe(t.CH * Math.ceil((t.IH * t.IW) / 4) * 4);
        expect(t.eFloats).toBeLessThanOrEqual(E_SIZE);
        expect(t.dVectors).toBe(s.project ? t.CH * GP : 0);
        expect(t.dVectors).toBeLessThanOrEqual(D_SIZE);
        expect(t.IH).toBe((t.TH - 1) * s.stride[0] + (s.KH - 1) * s.dilation[0] + 1);
        expect(t.IW).toBe((t.TW - 1) * s.stride[1] + (s.KW - 1) * s.dilation[1] + 1);
        expect(GP).toBeLessThanOrEqual(256);
        expect(t.CH % 4).toBe(0);
        if (s.project) {
          expect(t.GM * GP).toBeLessThanOrEqual(256);
          expect(t.slices * t.GM * t.MR).toBeGreaterThanOrEqual(s.Cout);
        }
        // The window covers the tile's taps.
        expect(t.IH).toBe((t.TH - 1) * s.stride[0] + (s.KH - 1) * s.dilation[0] + 1);
      }
    }
  });

  gpuIt("MobileNetV2's arena: the fused blocks plan less than their convs, and both agree", async () => {
    const graph = buildModel('mobilenetv2', { height: 96, width: 96 });
    const feeds = seededFeeds(graph);
    const fused = await webgpu().compile(graph);
    const lowered = await webgpu().compile(graph, { fuseBottlenecks: false } as WebgpuCompileOptions);
    try {
      const a = fused.memory();
      const b = lowered.memory();
      // The expanded tensor of the second block (96 x 48 x 48) is never planned: at most half the peak.
      expect(a.peakBytes).toBeLessThanOrEqual(b.peakBytes / 2);
      const x = await fused.run(feeds);
      const y = await lowered.run(feeds);
      expect(fusedNodes(fused).length).toBe(17);
      expect(fusedNodes(lowered)).toEqual([]);
      expectOutputsAgree(graph.outputs, x, y, tolerance(graph, feeds, 'model'));
    } finally {
      fused.dispose();
      lowered.dispose();
    }
  }, 300_000);
});

/**
 * Every zoo model on the webgpu backend in Node (Dawn; SwiftShader here) agrees with the
 * reference backend within the 'model' tolerance (1e-4 x max |reference|), VGG-16 at 64x64
 * (WEBGPU_NODE_ZOO_CASES, less WEBGPU_FUSED_CASES: MobileNetV2 at batch 2 and EfficientNet-B0,
 * which test/webgpu-bottleneck.test.ts runs with the same check). The cases run in reverse
 * order, so this file and zoo.test.ts, running side by side, compute different reference
 * outputs first (test/helpers/reference-cache.ts shares them).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getBackend } from '../src/backends/registry.js';
import { releaseSharedGpu } from '../src/backends/webgpu/webgpu-backend.js';
import { requireOracle } from './helpers/python.js';
import { maxError, WEBGPU_FUSED_CASES, WEBGPU_NODE_ZOO_CASES, zooReference } from './helpers/zoo-cases.js';

let available = false;
beforeAll(async () => {
  available = await getBackend('webgpu').isAvailable();
}, 60_000);
afterAll(() => releaseSharedGpu());

describe('zoo models on webgpu in Node against the reference backend', () => {
  it('has a WebGPU adapter (required under CI)', (ctx) => {
    if (!requireOracle(available, 'a WebGPU adapter in Node', "Debian's chromium package (SwiftShader) and the npm package webgpu")) return ctx.skip();
  });
  for (const c of [...WEBGPU_NODE_ZOO_CASES].filter((z) => !WEBGPU_FUSED_CASES.includes(z)).reverse()) {
    it(c.title, async (ctx) => {
      if (!available) return ctx.skip();
      const { graph, input, expected, bound } = await zooReference(c);
      const exe = await getBackend('webgpu').compile(graph);
      const actual = (await exe.run(input))[graph.outputs[0]].data;
      const info = exe.info();
      exe.dispose();
      expect(maxError(actual, expected)).toBeLessThanOrEqual(bound);
      expect(info.adapter).toBe('SwiftShader (software)');
      expect(info.fallbackNodes).toEqual([]);
    }, 300_000);
  }
});

/**
 * Every zoo model on the wasm backend agrees with the reference backend, within the 'model'
 * tolerance (max abs error <= 1e-4 x max |reference|, test/helpers/op-cases.ts), in the
 * plain SIMD build and the relaxed SIMD build. The cases and their reference outputs:
 * test/helpers/zoo-cases.ts. WebGPU: zoo-webgpu.test.ts (Node) and zoo-browser.test.ts
 * (headless Chromium).
 */
import { describe, expect, it } from 'vitest';
import { getBackend } from '../src/backends/registry.js';
import { supports } from '../src/backends/wasm/wasm-module.js';
import type { WasmCompileOptions } from '../src/backends/wasm/wasm-backend.js';
import { maxError, ZOO_CASES, zooReference } from './helpers/zoo-cases.js';

describe('zoo models on wasm (plain and relaxed SIMD) against the reference backend', () => {
  it('this runtime runs both wasm builds (vitest passes --experimental-wasm-relaxed-simd)', () => {
    expect(supports('simd')).toBe(true);
    expect(supports('relaxed-simd')).toBe(true);
  });
  for (const c of ZOO_CASES) {
    it(c.title, async () => {
      const { graph, input, expected, maxRef, bound } = await zooReference(c);
      expect(maxRef).toBeGreaterThan(0);
      for (const relaxedSimd of [false, true]) {
        const exe = await getBackend('wasm').compile(graph, { relaxedSimd } as WasmCompileOptions);
        const actual = (await exe.run(input))[graph.outputs[0]].data;
        const info = exe.info();
        exe.dispose();
        expect(maxError(actual, expected), `relaxed SIMD ${relaxedSimd}`).toBeLessThanOrEqual(bound);
        expect(info.fallbackNodes).toEqual([]);
        expect(info.features).toEqual(relaxedSimd ? ['simd', 'relaxed-simd'] : ['simd']);
      }
    }, 300_000);
  }
});

/**
 * Every zoo model on the wasm backend agrees with the reference backend: batch 1, and
 * batch 2 for a representative set; each in the plain SIMD build and the relaxed SIMD build.
 */
import { describe, expect, it } from 'vitest';
import '../src/backends/register-all.js';
import { buildModel, ZOO } from '../src/index.js';
import { supports } from '../src/backends/wasm/wasm-module.js';
import { compareWithReference } from './helpers/wasm.js';

/** Models whose classifier fixes the input size run at it; the others at a smaller size (global pooling). */
const SIDE: Record<string, number> = { 'inception-v3': 139, googlenet: 96, mobilenetv2: 96 };
const SMALL = 64;
const FIXED = new Set(['lenet5', 'alexnet', 'alexnet-paper', 'zfnet', 'vgg-a', 'vgg-a-lrn', 'vgg-b', 'vgg-c', 'vgg-d', 'vgg-e']);
const BATCH2 = new Set(['lenet5', 'alexnet-paper', 'resnet18', 'resnet50-d', 'mobilenetv2', 'googlenet', 'inception-v3']);

describe('zoo models on wasm (plain and relaxed SIMD) against the reference backend', () => {
  it('this runtime runs both wasm builds (vitest passes --experimental-wasm-relaxed-simd)', () => {
    expect(supports('simd')).toBe(true);
    expect(supports('relaxed-simd')).toBe(true);
  });
  for (const m of ZOO) {
    const side = FIXED.has(m.name) ? undefined : SIDE[m.name] ?? SMALL;
    for (const batch of BATCH2.has(m.name) ? [1, 2] : [1]) {
      it(`${m.name}, batch ${batch}${side ? `, ${side}x${side}` : ''}`, async () => {
        const g = buildModel(m.name, { batch, height: side, width: side });
        const { maxRef, runs } = await compareWithReference(g);
        expect(maxRef).toBeGreaterThan(0);
        for (const r of runs) {
          expect(r.maxErr, `relaxed SIMD ${r.relaxedSimd}`).toBeLessThanOrEqual(1e-4 * maxRef);
          expect(r.info.fallbackNodes).toEqual([]);
          expect(r.info.features).toEqual(r.relaxedSimd ? ['simd', 'relaxed-simd'] : ['simd']);
        }
      }, 300_000);
    }
  }
});

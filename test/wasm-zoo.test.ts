/**
 * Every zoo model on the wasm backend agrees with the reference backend: batch 1, and
 * batch 2 for a representative set; each in the plain SIMD build and the relaxed SIMD build.
 */
import { describe, expect, it } from 'vitest';
import '../src/backends/register-all.js';
import { getBackend } from '../src/backends/registry.js';
import { buildModel, ZOO, type Graph } from '../src/index.js';
import { mulberry32 } from '../src/graph/weight-init.js';
import type { WasmCompileOptions } from '../src/backends/wasm/wasm-backend.js';
import { supports } from '../src/backends/wasm/wasm-module.js';

/** Models whose classifier fixes the input size run at it; the others at a smaller size (global pooling). */
const SIDE: Record<string, number> = { 'inception-v3': 139, googlenet: 96, mobilenetv2: 96 };
const SMALL = 64;
const FIXED = new Set(['lenet5', 'alexnet', 'alexnet-paper', 'zfnet', 'vgg-a', 'vgg-a-lrn', 'vgg-b', 'vgg-c', 'vgg-d', 'vgg-e']);
const BATCH2 = new Set(['lenet5', 'alexnet-paper', 'resnet18', 'resnet50-d', 'mobilenetv2', 'googlenet', 'inception-v3']);

export function seededInput(g: Graph, seed = 11): Float32Array {
  const n = g.inputs[0].shape.reduce((a, b) => a * b, 1);
  const next = mulberry32(seed);
  return Float32Array.from({ length: n }, () => next() * 2 - 1);
}

/** Runs a graph on the reference backend and on the wasm backend in each given build; max errors. */
export async function compareWithReference(g: Graph, flavors: readonly boolean[] = [false, true]) {
  const x = seededInput(g);
  const ref = await getBackend('reference').compile(g);
  const expected = (await ref.run(x))[g.outputs[0]].data;
  ref.dispose();
  let maxRef = 0;
  for (const v of expected) maxRef = Math.max(maxRef, Math.abs(v));
  const runs = [];
  for (const relaxedSimd of flavors) {
    const exe = await getBackend('wasm').compile(g, { relaxedSimd } as WasmCompileOptions);
    const actual = (await exe.run(x))[g.outputs[0]].data;
    const info = exe.info();
    exe.dispose();
    let maxErr = 0;
    for (let i = 0; i < expected.length; i++) maxErr = Math.max(maxErr, Math.abs(actual[i] - expected[i]));
    runs.push({ relaxedSimd, maxErr, info });
  }
  return { maxRef, runs };
}

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

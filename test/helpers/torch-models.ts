import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import '../../src/backends/register-all.js';
import { backendNames, getBackend } from '../../src/backends/registry.js';
import type { Graph } from '../../src/graph/graph.js';
import { parseNpy, type NpyArray } from '../../src/io/npy.js';
import { loadOnnxFile } from '../../src/onnx/load-file.js';
import { TOLERANCES } from './op-cases.js';
import { requireOracle, torchPython } from './python.js';

const SCRIPT = new URL('../../scripts/export_torch_models.py', import.meta.url).pathname;

/**
 * Exports PyTorch models with scripts/export_torch_models.py into a cache outside the
 * repository (the files are large: VGG-11 alone is 530 MB), reusing them when the
 * manifest names the same script and every file is there. Returns the directory, or
 * undefined when torch is missing outside CI (under CI a missing torch throws).
 */
export function exportTorchModels(cacheName: string, models: readonly string[]): string | undefined {
  const python = torchPython();
  if (!requireOracle(python !== undefined, 'Python with torch and torchvision', 'apt-get install python3-torchvision')) return undefined;
  const dir = join(tmpdir(), 'webconv-test-cache', cacheName);
  const script = createHash('sha256').update(readFileSync(SCRIPT)).digest('hex');
  const complete = () => {
    const manifest = join(dir, 'manifest.json');
    if (!existsSync(manifest)) return false;
    const m = JSON.parse(readFileSync(manifest, 'utf8'));
    return m.script === script && models.every((name) =>
      m.models?.[name] && ['.onnx', '.input.npy', '.output.npy'].every((ext) => existsSync(join(dir, name + ext))));
  };
  if (!complete()) {
    const r = spawnSync(python!, [SCRIPT, dir, ...models], { encoding: 'utf8', timeout: 600_000 });
    if (r.status !== 0) throw new Error(`${SCRIPT} failed (exit ${r.status}): ${r.stderr}`);
    if (!complete()) throw new Error(`${SCRIPT} ran but ${dir} is incomplete`);
  }
  return dir;
}

/** An exported model: imported at its input's batch, with the input and PyTorch's output. */
export interface TorchCase {
  readonly graph: Graph;
  readonly input: NpyArray;
  readonly expected: NpyArray;
}

/** Loads `<dir>/<model>.onnx` and its .input.npy / .output.npy (scripts/export_torch_models.py). */
export async function loadTorchCase(dir: string, model: string): Promise<TorchCase> {
  const input = parseNpy(readFileSync(join(dir, `${model}.input.npy`)));
  const expected = parseNpy(readFileSync(join(dir, `${model}.output.npy`)));
  return { graph: await loadOnnxFile(join(dir, `${model}.onnx`), { batch: input.shape[0] }), input, expected };
}

/** max |actual - expected| / max |expected|: Infinity on a NaN or a length mismatch. */
export function relativeError(actual: ArrayLike<number>, expected: NpyArray): number {
  if (actual.length !== expected.data.length) return Infinity;
  let err = 0;
  let ref = 0;
  for (let i = 0; i < actual.length; i++) {
    err = Math.max(err, Math.abs(actual[i] - expected.data[i]));
    ref = Math.max(ref, Math.abs(expected.data[i]));
  }
  return Number.isNaN(err) ? Infinity : err / ref;
}

/**
 * One test per registered backend (and per `optimize` setting given): the case's output has
 * PyTorch's shape and matches it within the 'model' tolerance, nothing falls back to the
 * reference backend. A backend that is not available skips (fails under CI). Logs the error.
 */
export function itMatchesPytorch(label: string, get: () => TorchCase | undefined, options: { optimize?: readonly boolean[]; timeout?: number; backends?: readonly string[] } = {}): void {
  for (const backendName of options.backends ?? backendNames()) {
    for (const optimize of options.optimize ?? [true]) {
      it(`matches PyTorch on the ${backendName} backend${optimize ? '' : ' (no graph passes)'}`, async (ctx) => {
        const c = get();
        if (!c) return ctx.skip();
        const backend = getBackend(backendName);
        if (!requireOracle(await backend.isAvailable(), `the ${backendName} backend`, 'see README (backends)')) return ctx.skip();
        const exe = await backend.compile(c.graph, { optimize });
        try {
          const start = performance.now();
          const y = (await exe.run({ [c.graph.inputs[0].name]: c.input }))[exe.outputs[0].name];
          const ms = performance.now() - start;
          expect([...y.shape]).toEqual(c.expected.shape);
          const err = relativeError(y.data, c.expected);
          const maxRef = c.expected.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
          console.log(`${label} on ${backendName}: max abs error ${(err * maxRef).toExponential(2)} (max |logit| ${maxRef.toFixed(4)}), run ${(ms / 1000).toFixed(1)} s`);
          expect(err).toBeLessThanOrEqual(TOLERANCES.model.relative);
          expect(exe.info().fallbackNodes).toEqual([]);
        } finally {
          exe.dispose();
        }
      }, options.timeout ?? 600_000);
    }
  }
}

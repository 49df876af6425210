/**
 * What a bundler sees of the package: rollup.config.js's size budget fails a build whose
 * gzipped bundle is over budget (and passes one under it), and package.json's `sideEffects`
 * keeps the backends' registration when a consumer's bundler tree-shakes the barrel (with
 * every module declared side-effect free, the same bundle registers no backend: the list is
 * what keeps it). Needs dist/ (npm test builds it first).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import commonjsPlugin from '@rollup/plugin-commonjs';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import { rollup, type Plugin } from 'rollup';
import { afterAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../src/graph/weight-init.js';

// The plugin's types resolve as CommonJS under NodeNext; at run time the default import is the function.
const commonjs = commonjsPlugin as unknown as () => Plugin;
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const config = '../rollup.config.js';
const { sizeBudget } = (await import(/* @vite-ignore */ config)) as { sizeBudget: (label: string, budgetKiB: number) => Plugin };
const work = mkdtempSync(join(tmpdir(), 'webconv-size-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('size budget', () => {
  // 40 KiB of seeded-random letters: gzip cannot shrink them below ~24 KiB.
  const next = mulberry32(1);
  const letters = Array.from({ length: 40 * 1024 }, () => String.fromCharCode(97 + Math.floor(next() * 26))).join('');
  const entry = join(work, 'entry.js');
  writeFileSync(entry, `export const text = ${JSON.stringify(letters)};\n`);

  async function build(budgetKiB: number): Promise<number> {
    const bundle = await rollup({ input: entry });
    try {
      const { output } = await bundle.generate({ format: 'es', plugins: [sizeBudget('test bundle', budgetKiB)] });
      return gzipSync(output[0].code, { level: 9 }).length;
    } finally {
      await bundle.close();
    }
  }

  it('passes a bundle under its budget and fails one over it, naming both figures', async () => {
    const log = console.log;
    console.log = () => undefined;
    try {
      const gzipped = await build(64);
      expect(gzipped).toBeGreaterThan(16 * 1024);
      expect(gzipped).toBeLessThan(64 * 1024);
      await expect(build(16)).rejects.toThrow(new RegExp(`test bundle: ${(gzipped / 1024).toFixed(1)} KiB gzipped, over its budget of 16 KiB \\(${gzipped} > 16384 bytes`));
    } finally {
      console.log = log;
    }
  });
});

describe('sideEffects', () => {
  /** Bundles a consumer of dist/index.js as a bundler would (package.json's sideEffects honoured), runs it, returns the backends it sees. */
  async function registered(moduleSideEffects?: false): Promise<string[]> {
    const entry = join(work, 'consumer.js');
    writeFileSync(entry, `import { backendNames } from ${JSON.stringify(join(ROOT, 'dist/index.js'))};\nexport const names = backendNames();\n`);
    const bundle = await rollup({
      input: entry,
      // The control sets the package's list aside (ignoreSideEffectsForRoot: the tests run from the package's root).
      plugins: [nodeResolve({ browser: true, ignoreSideEffectsForRoot: moduleSideEffects === false }), commonjs()],
      ...(moduleSideEffects === false ? { treeshake: { moduleSideEffects: false } } : {}),
      onwarn: () => undefined,
    });
    const file = join(work, `consumer-${moduleSideEffects ?? 'package'}.mjs`);
    try {
      await bundle.write({ file, format: 'es' });
    } finally {
      await bundle.close();
    }
    return ((await import(pathToFileURL(file).href)) as { names: string[] }).names;
  }

  it("keeps the backends' registration when the barrel is tree-shaken", async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { sideEffects: string[] };
    expect(pkg.sideEffects).toContain('./dist/backends/register-all.js');
    expect(await registered()).toEqual(['reference', 'wasm', 'webgpu']);
    // The control: declared side-effect free, the registration is dropped.
    expect(await registered(false)).toEqual([]);
  });
});

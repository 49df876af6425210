// Bundles the Worker for workerd: `npx rollup -c` writes dist/worker.js with the .wasm and
// .onnx files it imports beside it, each left as an import (workerd loads .wasm as a
// WebAssembly.Module, other binaries as ArrayBuffer Data modules; see wrangler.toml).
// 'webconv' resolves through its `workerd` export condition to the edge entry, which has no
// dynamic import and compiles no WebAssembly from bytes. test/edge-worker.test.ts and
// test/runtimes.test.ts build with edgeWorkerConfig().
import commonjs from '@rollup/plugin-commonjs';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Imports of binary files (.wasm, .onnx, .bin): copied beside the bundle and kept as imports. */
function workerModules() {
  const emitted = new Map();
  return {
    name: 'worker-modules',
    async resolveId(source, importer, options) {
      // Absolute paths are node-resolve's own lookups (it re-resolves what it found): left alone.
      if (!/\.(wasm|onnx|bin)$/.test(source) || !importer || isAbsolute(source)) return null;
      // Relative paths here; package paths ('webconv/wasm/...') through node-resolve and the exports map.
      const resolved = /^\.\.?\//.test(source) ? { id: resolve(dirname(importer), source) } : await this.resolve(source, importer, { ...options, skipSelf: true });
      if (!resolved || resolved.external || !existsSync(resolved.id)) this.error(`cannot resolve '${source}' from ${importer}`);
      const fileName = basename(resolved.id);
      if (emitted.has(fileName) && emitted.get(fileName) !== resolved.id) this.error(`two files named ${fileName}: ${emitted.get(fileName)} and ${resolved.id}`);
      if (!emitted.has(fileName)) {
        emitted.set(fileName, resolved.id);
        this.emitFile({ type: 'asset', fileName, source: readFileSync(resolved.id) });
      }
      return { id: `./${fileName}`, external: true };
    },
  };
}

/** JSON imports as a default export (what esbuild, and so wrangler, do too). */
function json() {
  return {
    name: 'json',
    transform(code, id) {
      if (!id.endsWith('.json')) return null;
      return { code: `export default ${JSON.stringify(JSON.parse(code))};`, map: null };
    },
  };
}

/** The rollup options that bundle `input` (a module Worker) into `dir`/worker.js. */
export function edgeWorkerConfig(input, dir) {
  return {
    input,
    output: { dir, entryFileNames: 'worker.js', format: 'es' },
    plugins: [workerModules(), json(), nodeResolve({ exportConditions: ['workerd', 'worker', 'browser'], browser: true }), commonjs()],
    onwarn(warning, warn) {
      // protobufjs's optional require of long.js and the like.
      if (warning.code === 'CIRCULAR_DEPENDENCY') return;
      warn(warning);
    },
  };
}

export default edgeWorkerConfig(fileURLToPath(new URL('./worker.js', import.meta.url)), fileURLToPath(new URL('./dist', import.meta.url)));

// The library is compiled by `tsc` (JavaScript + .d.ts in dist/); rollup then bundles the
// emitted ESM for browsers: the whole SDK (dist/webconv.browser.js, and minified), and the
// runtime alone with the wasm backend (dist/webconv-runtime.min.js), both held to gzipped
// size budgets (sizeBudget below); the browser benchmark page (dist/bench-page/: index.html + main.js); and the
// example classifier page (dist/example/).
// Node-only modules (the CLI, file access) are not reachable from these
// entries. protobufjs ships CommonJS only, hence the commonjs plugin.
import commonjs from '@rollup/plugin-commonjs';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const plugins = () => [nodeResolve({ browser: true }), commonjs()];

/**
 * long.js, which protobufjs pulls in for int64 fields, left out of the budgeted bundles (3.5
 * KiB gzipped): the ONNX decoder sets it aside anyway (int64 fields read as numbers, see
 * src/onnx/schema.ts), and without it protobufjs reads and writes int64 as numbers.
 */
const withoutLong = () => ({
  name: 'without-long',
  resolveId: (id) => (id === 'long' ? '\0without-long' : null),
  load: (id) => (id === '\0without-long' ? 'export default null;' : null),
});

/**
 * Download budgets, in KiB (1024 bytes) of the minified bundle gzipped at level 9: the build
 * fails when a bundle outgrows its budget, so growth is a decision, not a drift.
 */
const KiB = 1024;
// runtime: 60 until the int8 kernels (issue 16: the direct and Winograd int8 convs, the int8 peak, their host and the int8 pass, 2.9 KiB);
// 64 until int8 Winograd F(4x4, 3x3) with its input transform 4 tiles a vector (1.8 KiB: ResNet-18 int8 6% faster);
// 66 until int8 depthwise convs (the float32 kernel's exact integer path) and the int8 fc kernel with the pass's fc rewrite
// (1.9 KiB: quantized MobileNetV2 equal to onnxruntime's output; classifiers 3.7-4.2x faster).
const BUDGET_KIB = { sdk: 150, runtime: 67 };

/** Terser for the shipped bundles: ES modules (top-level names mangled), two compress passes, ES2020 output. */
const minify = () => terser({ module: true, ecma: 2020, compress: { passes: 2 } });

/** Prints a bundle's minified and gzipped size, and fails the build past its budget (KiB). Exported for test/size-budget.test.ts. */
export const sizeBudget = (label, budgetKiB) => ({
  name: 'size-budget',
  generateBundle(options, bundle) {
    for (const chunk of Object.values(bundle)) {
      if (chunk.type !== 'chunk' || !chunk.isEntry) continue;
      const bytes = Buffer.from(chunk.code);
      const gzipped = gzipSync(bytes, { level: 9 }).length;
      const kib = (n) => (n / KiB).toFixed(1);
      console.log(`${label}: ${kib(bytes.length)} KiB minified, ${kib(gzipped)} KiB gzipped, budget ${budgetKiB} KiB (${options.file})`);
      if (gzipped > budgetKiB * KiB) {
        this.error(`${label}: ${kib(gzipped)} KiB gzipped, over its budget of ${budgetKiB} KiB (${gzipped} > ${budgetKiB * KiB} bytes; ${options.file}); see "Size" in README.md`);
      }
    }
  },
});

/** Copies files beside a bundle: [source path, name in the output folder]. */
const copyFiles = (files) => ({
  name: 'copy-files',
  buildStart() {
    for (const [from] of files) this.addWatchFile(from);
  },
  generateBundle() {
    for (const [from, fileName] of files) this.emitFile({ type: 'asset', fileName, source: readFileSync(from) });
  },
});

export default [
  {
    input: 'dist/index.js',
    output: [
      { file: 'dist/webconv.browser.js', format: 'es', sourcemap: true },
      { file: 'dist/webconv.browser.min.js', format: 'es', plugins: [minify(), sizeBudget('whole SDK (with ONNX import, zoo, cost model, both wasm builds)', BUDGET_KIB.sdk)] },
    ],
    plugins: [withoutLong(), ...plugins()],
  },
  {
    input: 'dist/runtime.js',
    output: { file: 'dist/webconv-runtime.min.js', format: 'es', plugins: [minify(), sizeBudget('wasm runtime (kernels for SIMD, relaxed SIMD, threads + the JS that runs them)', BUDGET_KIB.runtime)] },
    // The kernels as plain .wasm beside it (dist/wasm/, the package's 'webconv/wasm/*'), for
    // runtimes that import wasm as modules and forbid compiling bytes (setWasmModules, src/edge.ts).
    plugins: [...plugins(), copyFiles(['simd', 'relaxed', 'simd-shared', 'relaxed-shared'].map((b) => [`build/webconv-${b}.wasm`, `wasm/webconv-${b}.wasm`]))],
  },
  {
    // The script of the worker compileInWorker / WorkerClassifier start (src/worker/): an ES
    // module worker, beside the browser bundle, which finds it there by default.
    input: 'dist/worker/worker-entry.js',
    output: { file: 'dist/webconv.worker.js', format: 'es', plugins: [terser({ module: true })] },
    plugins: plugins(),
  },
  {
    // The browser benchmark page: one classic script (it also opens from file://) + index.html.
    input: 'bench/page/main.js',
    output: { file: 'dist/bench-page/main.js', format: 'iife', sourcemap: true },
    plugins: [...plugins(), copyFiles([['bench/page/index.html', 'index.html']])],
  },
  {
    // The example page (examples/classifier-page): the shipped classifier with its metadata
    // beside it, so any static server serves it offline.
    input: 'examples/classifier-page/main.js',
    output: { file: 'dist/example/main.js', format: 'iife', plugins: [terser()] },
    plugins: [
      ...plugins(),
      copyFiles([
        ['examples/classifier-page/index.html', 'index.html'],
        ['dist/webconv.worker.js', 'webconv.worker.js'],
        ['models/lenet5-fashion-mnist.onnx', 'lenet5-fashion-mnist.onnx'],
        ['models/lenet5-fashion-mnist.json', 'lenet5-fashion-mnist.json'],
        ['models/lenet5-fashion-mnist.int8.onnx', 'lenet5-fashion-mnist.int8.onnx'],
        ['models/lenet5-fashion-mnist.int8.json', 'lenet5-fashion-mnist.int8.json'],
      ]),
    ],
  },
];

// The library is compiled by `tsc` (JavaScript + .d.ts in dist/); rollup then bundles the
// emitted ESM for browsers: the whole SDK (dist/webconv.browser.js, and minified), and the
// runtime alone with the wasm backend (dist/webconv-runtime.min.js), whose gzipped size the
// build reports; the browser benchmark page (dist/bench-page/: index.html + main.js); and the
// example classifier page (dist/example/).
// Node-only modules (the CLI, file access) are not reachable from these
// entries. protobufjs ships CommonJS only, hence the commonjs plugin.
import commonjs from '@rollup/plugin-commonjs';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const plugins = () => [nodeResolve({ browser: true }), commonjs()];

/** Prints a bundle's minified and gzipped size once it is written. */
const reportSize = (label) => ({
  name: 'report-size',
  writeBundle(options) {
    const bytes = readFileSync(options.file);
    console.log(`${label}: ${(bytes.length / 1024).toFixed(1)} KiB minified, ${(gzipSync(bytes, { level: 9 }).length / 1024).toFixed(1)} KiB gzipped (${options.file})`);
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
      { file: 'dist/webconv.browser.min.js', format: 'es', plugins: [terser(), reportSize('whole SDK (with ONNX import, zoo, cost model, both wasm builds)')] },
    ],
    plugins: plugins(),
  },
  {
    input: 'dist/runtime.js',
    output: { file: 'dist/webconv-runtime.min.js', format: 'es', plugins: [terser(), reportSize('wasm runtime (kernels for SIMD, relaxed SIMD, threads + the JS that runs them)')] },
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
        ['models/lenet5-fashion-mnist.onnx', 'lenet5-fashion-mnist.onnx'],
        ['models/lenet5-fashion-mnist.json', 'lenet5-fashion-mnist.json'],
      ]),
    ],
  },
];

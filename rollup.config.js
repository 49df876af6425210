// The library is compiled by `tsc` (JavaScript + .d.ts in dist/); rollup then bundles the
// emitted ESM for browsers: the whole SDK (dist/webconv.browser.js, and minified), and the
// runtime alone with the wasm backend (dist/webconv-runtime.min.js), whose gzipped size the
// build reports; and the browser benchmark page (dist/bench-page/: index.html + main.js).
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

/** Copies the benchmark page's index.html beside its bundle. */
const copyPageHtml = (from) => ({
  name: 'copy-page-html',
  buildStart() {
    this.addWatchFile(from);
  },
  generateBundle() {
    this.emitFile({ type: 'asset', fileName: 'index.html', source: readFileSync(from, 'utf8') });
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
    plugins: [...plugins(), copyPageHtml('bench/page/index.html')],
  },
];

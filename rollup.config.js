// The library is compiled by `tsc` (JavaScript + .d.ts in dist/); rollup then bundles the
// emitted ESM for browsers: the whole SDK (dist/webconv.browser.js, and minified), and the
// runtime alone with the wasm backend (dist/webconv-runtime.min.js), whose gzipped size the
// build reports. Node-only modules (the CLI, file access) are not reachable from these
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
];

#!/usr/bin/env node
// Runs every benchmark suite of bench/ in turn (`npm run bench`): the cost model's own
// speed, then the wasm backend beside onnxruntime-web and tfjs-wasm.
await import('./summary.bench.mjs');
await import('./wasm.bench.mjs');

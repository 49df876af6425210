#!/usr/bin/env node
// Runs every benchmark suite of bench/ in turn (`npm run bench`): the cost model's own
// speed, then the wasm backend beside onnxruntime-web and tfjs-wasm, then the webgpu backend
// beside onnxruntime-web's WebGPU EP on the same device, then one thread against two.
// (bench/torchvision.bench.mjs, PyTorch's exports beside onnxruntime-web, needs Python with
// torch and torchvision, so it runs on its own.)
await import('./summary.bench.mjs');
await import('./compile.bench.mjs');
await import('./wasm.bench.mjs');
await import('./webgpu.bench.mjs');
await import('./threads.bench.mjs');

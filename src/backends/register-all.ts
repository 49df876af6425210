// Registers the built-in backends, in the order tests and tools iterate them.
import { referenceBackend } from './reference/reference-backend.js';
import { registerBackend } from './registry.js';
import { wasmBackend } from './wasm/wasm-backend.js';
import { webgpuBackend } from './webgpu/webgpu-backend.js';

registerBackend(referenceBackend);
registerBackend(wasmBackend);
registerBackend(webgpuBackend);

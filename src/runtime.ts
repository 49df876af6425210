/**
 * The runtime alone, for apps that ship a model built with the graph builder or stored in
 * webconv's own form: graph IR, planner and the wasm backend, without the ONNX importer,
 * the zoo or the cost tables. Its minified, gzipped size is what `npm run build` reports as
 * the wasm backend's download.
 */
export { Graph, sizeOf } from './graph/graph.js';
export { GraphBuilder } from './graph/builder.js';
export { finalizeGraph } from './graph/validate.js';
export { optimizeGraph } from './plan/passes.js';
export { wasmBackend } from './backends/wasm/wasm-backend.js';
export type { Executable, TensorData, CompileOptions } from './backends/backend.js';

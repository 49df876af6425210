/**
 * webconv: convolutional image classifiers on WebAssembly SIMD and WebGPU, with an exact
 * analytic cost model. This barrel is the public API.
 */
export { WebconvError, AttributeError, ShapeError, GraphError, OptionError } from './graph/errors.js';
export { Graph, sizeOf } from './graph/graph.js';
export type { Node, OpType, Shape, Initializer, GraphInput } from './graph/graph.js';
export { GraphBuilder, Tensor } from './graph/builder.js';
export type { ConvOptions, PoolOptions, LrnOptions, Size2, Padding } from './graph/builder.js';
export { finalizeGraph } from './graph/validate.js';
export { opDef, OP_TYPES } from './ops/registry.js';
export type { OpDef, NodeCost } from './ops/op.js';
export { costTable, longestReduction, MB } from './cost/summary.js';
export type { Summary, SummaryOptions, CostRow, CostTotals, MemoryMode, Optimizer } from './cost/summary.js';
export { renderTable } from './cost/render.js';
export { summarize } from './models/summarize.js';
export type { SummarizeOptions } from './models/summarize.js';
export { liveness } from './plan/liveness.js';
export type { Liveness, Lifetime } from './plan/liveness.js';
export { ZOO, zooEntry, buildModel } from './models/zoo.js';
export type { ZooEntry } from './models/zoo.js';
export type { ModelOptions } from './models/model-options.js';
export { optimizeGraph } from './plan/passes.js';
export type { OptimizedGraph, PassReport } from './plan/passes.js';
export { planMemory, ALIGN } from './plan/memory-planner.js';
export type { MemoryPlan, PlannedBuffer } from './plan/memory-planner.js';
export { UnsupportedOpError, InputError, ExecutableError, OnnxError, NpyError, IdxError, MetadataError, ImageError, LimitError, EngineError } from './graph/errors.js';
export type { Backend, Executable, CompileOptions, TensorData, NodeTiming, MemoryReport, BackendInfo } from './backends/backend.js';
export { registerBackend, getBackend, backendNames } from './backends/registry.js';
export { referenceBackend } from './backends/reference/reference-backend.js';
export { importOnnx, SUPPORTED_ONNX_OPS, MIN_OPSET, MAX_OPSET } from './onnx/import.js';
export type { OnnxImportOptions } from './onnx/import.js';
export { decodeTensorProto, MAX_ELEMENTS } from './onnx/tensor-proto.js';
export { parseNpy, encodeNpy } from './io/npy.js';
export { parseIdx } from './io/idx.js';
export type { IdxArray } from './io/idx.js';
export { parseMetadata, grayImagesToInput } from './models/metadata.js';
export type { ModelMetadata } from './models/metadata.js';
export { evaluateClassifier } from './models/evaluate.js';
export { Classifier, topClasses } from './models/classifier.js';
export { featureExtractor, trainSoftmaxHead, attachHead, penultimate } from './models/transfer.js';
export type { HeadOptions, LinearHead } from './models/transfer.js';
export type { Classification, ClassifierOptions } from './models/classifier.js';
export { imageToInput, checkImage, checkImageSize, MAX_IMAGE_PIXELS, MAX_IMAGE_DIMENSION } from './io/image.js';
export type { RgbaImage } from './io/image.js';
export type { Evaluation } from './models/evaluate.js';
export type { NpyArray } from './io/npy.js';
import './backends/register-all.js';
// classify() takes a file path in Node, Deno and Bun (not part of the edge entry, src/edge.ts).
import './io/image-file-reader.js';
export { wasmBackend } from './backends/wasm/wasm-backend.js';
export type { WasmCompileOptions } from './backends/wasm/wasm-backend.js';
export { setWasmModules } from './backends/wasm/wasm-module.js';
export type { WasmModules } from './backends/wasm/wasm-module.js';
export { exportOnnx } from './onnx/export.js';
export type { ExportOptions } from './onnx/export.js';
export { quantizeModel, quantizeWeight, activationParams, dequantize } from './quantize/quantize.js';
export type { QuantizeOptions, QuantizedModel, QuantizedInitializer } from './quantize/quantize.js';
// The benchmark harness and its HTML report: 'webconv/bench' (src/bench.ts).
export { webgpuBackend, sharedGpu, releaseSharedGpu } from './backends/webgpu/webgpu-backend.js';
export type { WebgpuCompileOptions } from './backends/webgpu/webgpu-backend.js';
export { acquireDevice } from './backends/webgpu/device.js';
export type { GpuContext, AcquireOptions } from './backends/webgpu/device.js';
export { GpuError } from './graph/errors.js';
export { load } from './load.js';
export type { LoadOptions, LoadSource, MetadataSource, LoadProgress, LoadInfo, LoadAttempt, LoadedModel, LoadedClassifier } from './load.js';
export { compileInWorker, WorkerExecutable, defaultWorkerUrl } from './worker/worker-executable.js';
export type { WorkerCompileOptions, WorkerModelSource } from './worker/worker-executable.js';
export { WorkerClassifier } from './worker/worker-classifier.js';

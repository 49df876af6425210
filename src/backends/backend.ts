import type { Graph, GraphInput, Shape } from '../graph/graph.js';

/** A tensor passed to or returned from a run: row-major float32 with its shape. */
export interface TensorData {
  readonly shape: Shape;
  readonly data: Float32Array;
}

export interface CompileOptions {
  /**
   * Run on the reference backend the nodes this backend has no kernel for. Off by
   * default: without it, compile fails and names every missing op.
   */
  fallback?: boolean;
  /** Apply the planner's graph passes (BN folding, activation fusion, identity removal). Default true. */
  optimize?: boolean;
  /** Worker threads (backends that can use them). Default 1. */
  threads?: number;
}

/** Time one node took in the last run. */
export interface NodeTiming {
  readonly node: string;
  readonly op: string;
  readonly ms: number;
}

export interface MemoryReport {
  /** Bytes of weights held by the executable (after packing). */
  readonly weightBytes: number;
  /** Bytes of the activation arena. */
  readonly arenaBytes: number;
  /** The liveness peak the arena was planned for (arenaBytes >= peakBytes). */
  readonly peakBytes: number;
  /** Everything the executable holds: weights, arena, scratch and bookkeeping (a wasm memory's size). */
  readonly totalBytes: number;
}

/** What memory() reports once an executable is disposed: it holds nothing. */
export const DISPOSED_MEMORY: MemoryReport = Object.freeze({ weightBytes: 0, arenaBytes: 0, peakBytes: 0, totalBytes: 0 });

/** What actually ran: never a surprise. */
export interface BackendInfo {
  readonly backend: string;
  /** The GPU adapter, when there is one ("SwiftShader (software)" included). */
  readonly adapter?: string;
  /** Features actually in use: 'simd', 'relaxed-simd', 'threads', 'shader-f16', ... */
  readonly features: readonly string[];
  readonly threads: number;
  /** Nodes that ran on the reference backend because this backend lacks their kernel. */
  readonly fallbackNodes: readonly string[];
}

/** A compiled model, ready to run. */
export interface Executable {
  readonly inputs: readonly GraphInput[];
  readonly outputs: readonly { readonly name: string; readonly shape: Shape }[];
  /**
   * Runs the model. Inputs by name (a bare Float32Array is taken for a single-input
   * model); shapes must match exactly. Returns fresh arrays the caller owns.
   */
  run(inputs: Record<string, TensorData | Float32Array> | Float32Array): Promise<Record<string, TensorData>>;
  /** Per-node timings of the last run, in execution order. */
  profile(): NodeTiming[];
  /** What the executable holds; all zero once disposed. */
  memory(): MemoryReport;
  info(): BackendInfo;
  /**
   * Optional, for the benchmark: runs once and returns, per node of the compiled graph, the
   * multiply-accumulates its kernel counted executing (block padding included), to hold
   * against the cost model. Backends whose kernels keep no count leave it out.
   */
  counters?(inputs: Record<string, TensorData | Float32Array> | Float32Array): Promise<Map<string, number>>;
  /** Frees everything; later calls to run() throw. */
  dispose(): void;
}

/** What the device a backend runs on achieves at best, measured there and then, never assumed. */
export interface DevicePeaks {
  /** Multiply-add throughput of the backend's plain build, GFLOP/s (wasm: one thread). */
  readonly gflops: number;
  /** The throughput with a feature in use, where the backend has one that changes it (wasm: 'relaxed-simd'). */
  readonly gflopsWith?: Readonly<Record<string, number>>;
  /** Streaming read bandwidth, GB/s (wasm: from wasm memory; webgpu: from a storage buffer). */
  readonly bandwidthGBs: number;
  /** 8-bit multiply-add throughput, GOP/s (wasm: i32x4.dot_i16x8_s + add chains, one thread; webgpu: dot4I8Packed + add chains), where the backend has int8 kernels. */
  readonly int8Gops?: number;
}

export interface Backend {
  readonly name: string;
  /** Whether this backend can run here (wasm SIMD present, a WebGPU adapter found, ...). */
  isAvailable(): Promise<boolean>;
  compile(graph: Graph, options?: CompileOptions): Promise<Executable>;
  /** Optional, for the benchmark: measures the device's peaks (a second or so of work). */
  peaks?(): Promise<DevicePeaks>;
}

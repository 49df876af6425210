import { EngineError, ExecutableError, LimitError, UnsupportedOpError } from '../../graph/errors.js';
import { unsupportedNodes } from '../unsupported.js';
import type { Graph, Node, Shape } from '../../graph/graph.js';
import { sizeOf } from '../../graph/graph.js';
import { opDef } from '../../ops/registry.js';
import { planMemory, type MemoryPlan } from '../../plan/memory-planner.js';
import { optimizeGraph } from '../../plan/passes.js';
import { fuseBottlenecks } from '../../plan/fuse-bottleneck.js';
import { fuseInt8Convs } from '../../plan/fuse-int8.js';
import { DISPOSED_MEMORY, type Backend, type BackendInfo, type CompileOptions, type DevicePeaks, type Executable, type MemoryReport, type NodeTiming, type TensorData } from '../backend.js';
import { readInputs } from '../inputs.js';
import { releaseDerived } from '../release-derived.js';
import { writeParams } from '../params.js';
import type { KernelContext, KernelExports, Param, Step } from './kernel.js';
import { WASM_KERNELS } from './register-kernels.js';
import { ThreadPool, controlBytes, type ParallelKernel } from './thread-pool.js';
import { kernelsModule, supports, threadsPossible, type WasmFlavor } from './wasm-module.js';

/** Options of the wasm backend beyond the common ones. */
export interface WasmCompileOptions extends CompileOptions {
  /** Use relaxed SIMD (fused multiply-add) where the engine has it. Default true. */
  relaxedSimd?: boolean;
  /**
   * Run MobileNetV2-style inverted residuals (1x1 -> depthwise -> 1x1 [+ x]) as one fused
   * op, band by band, so the expanded tensor never exists whole (src/plan/fuse-bottleneck.ts).
   * Default true; false runs the three convs, to compare.
   */
  fuseBottlenecks?: boolean;
  /**
   * Run a quantized model's convs on 8-bit integers (qconv2d, src/plan/fuse-int8.ts) where the
   * file computes them so: qdq -> conv (int8 weights) -> qdq. Default true; false runs them in
   * float between the qdq nodes, as the file is written, to compare.
   */
  int8?: boolean;
  /**
   * Run 3x3 stride-1 convs by Winograd F(4x4, 3x3) where it pays (by shape; see
   * kernels/winograd.ts). Default true; false keeps every conv on the direct GEMM path, to
   * compare the two; 'all' runs every conv it applies to by Winograd, whatever the shape
   * (benchmarks and tests of the kernel).
   */
  winograd?: boolean | 'all';
}

const NO_SIMD = 'this JavaScript engine has no WebAssembly SIMD (every browser since 2021 and Node 16.4 have it); use the reference or webgpu backend';
const PAGE = 65536;

/**
 * The memory of the last one-thread executable disposed, held weakly: the garbage collector
 * frees it as before, but a compile that comes first takes it (see reuseDisposedMemory).
 */
let disposedMemory: WeakRef<WebAssembly.Memory> | undefined;

/**
 * The memory a one-thread executable disposed, cleared and grown to `pages`, when the
 * collector has not freed it yet and it is no larger (a memory cannot shrink, and an
 * executable's memory is its plan's size). A fresh memory's pages fault in as compile writes
 * the weights, 1.3-2 ms a MB on these VMs (ResNet-50: 100 MB of weights, more packed), where
 * a disposed one's are resident: what makes a second model's compile cost more than the
 * first model's packing.
 */
function reuseDisposedMemory(pages: number): WebAssembly.Memory | undefined {
  const memory = disposedMemory?.deref();
  if (!memory || memory.buffer.byteLength > pages * PAGE) return undefined;
  disposedMemory = undefined;
  new Uint8Array(memory.buffer).fill(0);
  try {
    if (memory.buffer.byteLength < pages * PAGE) memory.grow(pages - memory.buffer.byteLength / PAGE);
  } catch {
    return undefined;
  }
  return memory;
}
/** wasm32 addresses at most 65536 pages: 4 GiB, everything an executable holds. */
export const MAX_WASM_MEMORY_BYTES = 65536 * PAGE;
const ALIGN = 16;
/**
 * Offsets below this are never handed out: a zero pointer means "none" to a kernel.
 * AssemblyScript would place static data from 1024 on; the kernels have none, and
 * scripts/build-wasm.mjs fails the build if a data section appears.
 */
const RESERVED = 1024;
const align = (n: number) => Math.ceil(n / ALIGN) * ALIGN;
/** Bytes allowed per node and thread for parameter blocks when the memory is first sized. */
const PARAMS_ROOM = 256;

/**
 * The WebAssembly SIMD backend: AssemblyScript kernels (assembly/) in one module per
 * executable, over one memory holding the planned activation arena, the packed weights and
 * every node's parameter block, all laid out at compile time. A run copies the inputs in,
 * calls one kernel per node, and copies the outputs out: nothing is allocated per run.
 */
export const wasmBackend: Backend = {
  name: 'wasm',
  isAvailable: async () => supports('simd'),
  async compile(graph: Graph, options: WasmCompileOptions = {}): Promise<Executable> {
    if (!supports('simd')) throw new EngineError(NO_SIMD);
    const flavor: WasmFlavor = options.relaxedSimd !== false && supports('relaxed-simd') ? 'relaxed-simd' : 'simd';
    const optimized = options.optimize === false ? graph : optimizeGraph(graph).graph;
    const quantized = options.optimize === false || options.int8 === false ? optimized : fuseInt8Convs(optimized).graph;
    const g = options.optimize === false || options.fuseBottlenecks === false ? quantized : fuseBottlenecks(quantized).graph;
    const { nodes: missing, reasons } = unsupportedNodes(g, (n) => {
      const kernel = WASM_KERNELS.get(n.op);
      return kernel ? kernel.supports?.(n, g) ?? true : 'no kernel';
    });
    if (missing.size && !options.fallback) throw new UnsupportedOpError('wasm', missing, reasons);
    let threads = Math.max(1, Math.floor(options.threads ?? 1));
    if (threads > 1 && !threadsPossible()) {
      console.warn(`webconv: ${threads} threads asked for, but this context has no shared memory and workers (a browser page must be cross-origin isolated); running on one thread`);
      threads = 1;
    }
    const exe = new WasmExecutable(g, flavor, [...missing.keys()], threads);
    exe.winograd = options.winograd ?? true;
    await exe.init();
    return exe;
  },
  peaks: measureWasmPeaks,
};

/**
 * This engine's wasm peaks, measured: SIMD multiply-add throughput on one thread (16
 * independent multiply-add chains, kernels' f32_peak_madd16x4__wasmsimd), plain and, where the engine
 * runs it, relaxed; the int8 kernels' (i32_peak_dot16x4__wasmsimd: dot_i16x8_s + add chains); and streaming read bandwidth of wasm memory (a sum over 64 MiB). Best of
 * five rounds after warm-up (V8 tiers wasm up on later calls).
 */
async function measureWasmPeaks(): Promise<DevicePeaks> {
  const now = () => performance.now();
  /** Best of five rounds of a peak kernel (`iters` rounds of its chains; `ops` operations a round). */
  const chains = async (flavor: WasmFlavor, kernel: string, ops: number) => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const { exports } = await WebAssembly.instantiate(await kernelsModule(flavor), { env: { memory } });
    const peak = exports[kernel] as (n: number) => number;
    for (let i = 0; i < 10; i++) peak(1e6);
    let best = 0;
    for (let r = 0; r < 5; r++) {
      const n = 1e7;
      const t = now();
      peak(n);
      best = Math.max(best, (n * ops) / ((now() - t) * 1e6));
    }
    return best;
  };
  // 16 chains of 4 lanes, a multiply and an add each; 16 chains of 8 multiply-adds (dot_i16x8_s + add).
  const flops = (flavor: WasmFlavor) => chains(flavor, 'f32_peak_madd16x4__wasmsimd', 16 * 4 * 2);
  const int8 = () => chains('simd', 'i32_peak_dot16x4__wasmsimd', 16 * 8 * 2);
  const bandwidth = async () => {
    const bytes = 64 << 20;
    const memory = new WebAssembly.Memory({ initial: bytes / PAGE + 2 });
    const { exports } = await WebAssembly.instantiate(await kernelsModule('simd'), { env: { memory } });
    // Touch every page first: untouched pages read as shared zero pages, faster than memory.
    new Float32Array(memory.buffer, PAGE, bytes / 4).fill(1);
    const sum = exports.f32_stream_sum__wasmsimd as (ptr: number, count: number) => number;
    for (let i = 0; i < 2; i++) sum(PAGE, bytes / 4);
    let best = 0;
    for (let r = 0; r < 5; r++) {
      const t = now();
      sum(PAGE, bytes / 4);
      best = Math.max(best, bytes / ((now() - t) * 1e6));
    }
    return best;
  };
  if (!supports('simd')) throw new EngineError(NO_SIMD);
  const gflops = await flops('simd');
  const relaxed = supports('relaxed-simd') ? await flops('relaxed-simd') : undefined;
  return { gflops, ...(relaxed !== undefined ? { gflopsWith: { 'relaxed-simd': relaxed } } : {}), bandwidthGBs: await bandwidth(), int8Gops: await int8() };
}

class WasmExecutable implements Executable, KernelContext {
  readonly inputs;
  readonly outputs: { name: string; shape: Shape }[];
  readonly plan: MemoryPlan;
  exports!: KernelExports;
  private wasmMemory: WebAssembly.Memory | undefined;
  private top = 0;
  private arenaBase = RESERVED;
  scratch = 0;
  private scratchBytes = 0;
  /** KernelContext.winograd: set from the compile options before init. */
  winograd: boolean | 'all' = true;
  private pool: ThreadPool | undefined;
  private weightBytes = 0;
  private readonly initializerPtrs = new Map<string, number>();
  /** KernelContext.weight's staging buffer during compile, and the floats of it handed out for the current node. */
  private staging: Float32Array | undefined;
  private staged = 0;
  private steps: { node: Node; step: Step }[] = [];
  private timings: NodeTiming[] = [];

  constructor(
    readonly graph: Graph,
    private readonly flavor: WasmFlavor,
    private readonly fallbackNodes: string[],
    readonly threads: number,
  ) {
    this.inputs = graph.inputs;
    this.outputs = graph.outputs.map((name) => ({ name, shape: graph.shape(name) }));
    this.plan = planMemory(graph, { threads });
  }

  async init(): Promise<void> {
    let scratchBytes = 0;
    for (const n of this.graph.nodes) scratchBytes = Math.max(scratchBytes, WASM_KERNELS.get(n.op)?.scratchBytes?.(n, this.graph, this.threads) ?? 0);
    this.scratchBytes = align(scratchBytes);
    const shared = this.threads > 1;
    const control = align(this.arenaBase + this.plan.arenaBytes);
    this.scratch = align(control + controlBytes(this.threads));
    this.top = this.scratch + this.threads * this.scratchBytes;
    // Everything checked against wasm32's 4 GiB before the memory is made: the arena,
    // scratch and the weights as they are (packing may add a little; alloc() checks that).
    let weightBytes = 0;
    for (const init of this.graph.initializers.values()) weightBytes += align(sizeOf(init.shape) * 4);
    for (const n of this.graph.nodes) weightBytes += WASM_KERNELS.get(n.op)?.extraWeightBytes?.(n, this.graph, this.winograd) ?? 0;
    this.checkFits(this.top + weightBytes);
    // The memory is made at once at about its final size (the weights as they are, what the
    // kernels add to them, a parameter block's room per node): growing costs ~1 ms a call here, and compile grew it
    // once per weight (ResNet-50: ~160 grows, 160-340 ms of its compile; bench/cold-start.bench.mjs).
    const pages = Math.ceil((this.top + weightBytes + this.graph.nodes.length * this.threads * PARAMS_ROOM) / PAGE);
    try {
      this.wasmMemory = (shared ? undefined : reuseDisposedMemory(pages)) ??
        (shared ? new WebAssembly.Memory({ initial: pages, maximum: 65536, shared: true }) : new WebAssembly.Memory({ initial: pages }));
    } catch (e) {
      throw new LimitError(this.graph.name, 'a wasm memory', this.top, MAX_WASM_MEMORY_BYTES, `this engine refused to allocate it (${(e as Error).message}): use a smaller batch or input size`);
    }
    const module = await kernelsModule(this.flavor, shared);
    const instance = await WebAssembly.instantiate(module, { env: { memory: this.wasmMemory } });
    this.exports = instance.exports as unknown as KernelExports;
    const fallback = new Set(this.fallbackNodes);
    for (const node of this.graph.nodes) {
      const kernel = WASM_KERNELS.get(node.op);
      this.staged = 0;
      this.steps.push({ node, step: kernel && !fallback.has(node.name) ? kernel.prepare(node, this) : this.fallbackStep(node) });
      releaseDerived(this.graph, node.inputs);
    }
    releaseDerived(this.graph, this.graph.initializers.keys());
    this.staging = undefined;
    // Workers start last, once compile has stopped growing the memory.
    if (shared) this.pool = await ThreadPool.start(module, this.wasmMemory, control, this.threads - 1);
  }

  // KernelContext -------------------------------------------------------------------
  ptr(tensor: string): number {
    const offset = this.plan.offsets.get(tensor);
    if (offset !== undefined) return this.arenaBase + offset;
    let p = this.initializerPtrs.get(tensor);
    if (p === undefined) {
      if (!this.graph.initializers.has(tensor)) throw new ExecutableError(`no storage planned for tensor '${tensor}'`);
      p = this.upload(this.weight(tensor));
      this.initializerPtrs.set(tensor, p);
    }
    return p;
  }

  weight(name: string): Float32Array {
    const init = this.graph.initializers.get(name);
    if (!init?.derive || init.data) return this.graph.weight(name);
    // Handed out from the staging buffer, bump by bump within a node (fc reads its weights and
    // bias together); a buffer too small is replaced, the views already handed out keep the old.
    const n = sizeOf(init.shape);
    if (!this.staging || this.staged + n > this.staging.length) {
      this.staging = new Float32Array(Math.max(n, this.staging?.length ?? 0));
      this.staged = 0;
    }
    const into = this.staging.subarray(this.staged, this.staged + n);
    this.staged += n;
    return init.derive(into);
  }

  alloc(bytes: number): number {
    const p = this.top;
    this.checkFits(align(this.top + bytes));
    this.top = align(this.top + bytes);
    const mem = this.wasmMemory!;
    const need = this.top - mem.buffer.byteLength;
    if (need > 0) {
      try {
        // What packing adds beyond the estimate (Winograd's 36/9 weights) grows in steps of
        // at least 1/16 of the memory, so a few grows, not one per layer.
        const have = mem.buffer.byteLength / PAGE;
        mem.grow(Math.min(Math.max(Math.ceil(need / PAGE), Math.ceil(have / 16)), MAX_WASM_MEMORY_BYTES / PAGE - have));
      } catch (e) {
        throw new LimitError(this.graph.name, 'the wasm memory', this.top, MAX_WASM_MEMORY_BYTES, `this engine refused to grow it (${(e as Error).message}): use a smaller batch or input size`);
      }
    }
    return p;
  }

  /** A typed error when `bytes` of wasm memory would be more than wasm32 can address. */
  private checkFits(bytes: number): void {
    if (bytes > MAX_WASM_MEMORY_BYTES) {
      throw new LimitError(
        this.graph.name,
        `wasm memory (activation arena ${this.plan.arenaBytes} bytes, scratch, weights)`,
        bytes,
        MAX_WASM_MEMORY_BYTES,
        'wasm32 addresses at most 4 GiB: use a smaller batch or input size, or the webgpu backend',
      );
    }
  }

  upload(data: Float32Array): number {
    const p = this.alloc(data.byteLength);
    this.f32().set(data, p / 4);
    this.weightBytes += data.byteLength;
    return p;
  }

  uploadPacked(floats: number, pack: (into: Float32Array) => void): number {
    const p = this.alloc(floats * 4);
    pack(new Float32Array(this.wasmMemory!.buffer, p, floats)); // a view made after alloc grew the memory
    this.weightBytes += floats * 4;
    return p;
  }

  params(values: readonly Param[]): number {
    const p = this.alloc(values.length * 4);
    writeParams(this.wasmMemory!.buffer, p, values);
    return p;
  }

  scratchOf(thread: number): number {
    return this.scratch + thread * this.scratchBytes;
  }

  workspace(node: Node, thread: number): number {
    const at = this.plan.workspaces.get(node.name);
    const bytes = opDef(node.op).workspace?.(node, node.inputs.map((t) => this.graph.shape(t)), node.outputs.map((t) => this.graph.shape(t)));
    if (at === undefined || bytes === undefined) throw new ExecutableError(`no workspace planned for node '${node.name}'`);
    return this.arenaBase + at + thread * bytes;
  }

  parallel(fn: ParallelKernel, blocks: readonly number[]): void {
    const kernel = this.exports[fn];
    if (!this.pool) {
      for (const p of blocks) kernel(p);
      return;
    }
    this.pool.run(fn, blocks, kernel);
  }

  f32(): Float32Array {
    return new Float32Array(this.wasmMemory!.buffer);
  }

  /** A node without a wasm kernel (compiled with fallback): its reference kernel over views of this memory. */
  private fallbackStep(node: Node): Step {
    const def = opDef(node.op);
    const view = (t: string) => ({ shape: this.graph.shape(t), data: new Float32Array(this.wasmMemory!.buffer, this.ptr(t), sizeOf(this.graph.shape(t))) });
    // Views are made per run (cheap), after compile has stopped growing the memory.
    return () => def.reference(node, node.inputs.map(view), node.outputs.map(view));
  }

  // Executable ----------------------------------------------------------------------
  async run(inputs: Record<string, TensorData | Float32Array> | Float32Array): Promise<Record<string, TensorData>> {
    if (!this.wasmMemory) throw new ExecutableError('this executable was disposed');
    const f32 = this.f32();
    for (const [name, data] of readInputs(this.inputs, inputs)) f32.set(data, this.ptr(name) / 4);
    const timings: NodeTiming[] = [];
    for (const { node, step } of this.steps) {
      const start = performance.now();
      step();
      timings.push({ node: node.name, op: node.op, ms: performance.now() - start });
    }
    this.timings = timings;
    const out: Record<string, TensorData> = {};
    for (const o of this.outputs) {
      const p = this.ptr(o.name) / 4;
      out[o.name] = { shape: o.shape, data: this.f32().slice(p, p + sizeOf(o.shape)) };
    }
    return out;
  }

  /**
   * Runs once and returns, per node, the multiply-accumulates its kernel counted executing
   * (block padding included). Each worker keeps a count of its own, so a threaded executable
   * counts on a one-thread twin of itself (same graph, same build), made and freed here.
   */
  async counters(inputs: Record<string, TensorData | Float32Array> | Float32Array): Promise<Map<string, number>> {
    if (!this.wasmMemory) throw new ExecutableError('this executable was disposed');
    if (this.pool) {
      const twin = new WasmExecutable(this.graph, this.flavor, this.fallbackNodes, 1);
      twin.winograd = this.winograd;
      try {
        await twin.init();
        return await twin.counters(inputs);
      } finally {
        twin.dispose();
      }
    }
    const f32 = this.f32();
    for (const [name, data] of readInputs(this.inputs, inputs)) f32.set(data, this.ptr(name) / 4);
    const exports = this.exports as unknown as { mac_reset(): void; mac_count(): number };
    const counts = new Map<string, number>();
    for (const { node, step } of this.steps) {
      exports.mac_reset();
      step();
      counts.set(node.name, exports.mac_count());
    }
    return counts;
  }

  profile(): NodeTiming[] {
    return [...this.timings];
  }

  memory(): MemoryReport {
    if (!this.wasmMemory) return DISPOSED_MEMORY;
    return { weightBytes: this.weightBytes, arenaBytes: this.plan.arenaBytes, peakBytes: this.plan.peakBytes, totalBytes: this.wasmMemory.buffer.byteLength };
  }

  info(): BackendInfo {
    const features = this.flavor === 'relaxed-simd' ? ['simd', 'relaxed-simd'] : ['simd'];
    if (this.pool) features.push('threads');
    return { backend: 'wasm', features, threads: this.threads, fallbackNodes: [...this.fallbackNodes] };
  }

  dispose(): void {
    if (this.wasmMemory && !this.pool) disposedMemory = new WeakRef(this.wasmMemory);
    this.pool?.terminate();
    this.pool = undefined;
    this.wasmMemory = undefined;
    this.steps = [];
    this.initializerPtrs.clear();
  }
}

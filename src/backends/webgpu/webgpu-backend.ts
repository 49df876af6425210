/// <reference types="@webgpu/types" />
import { ExecutableError, GpuError, LimitError, UnsupportedOpError } from '../../graph/errors.js';
import type { Graph, Node, Shape } from '../../graph/graph.js';
import { sizeOf } from '../../graph/graph.js';
import { planMemory, type MemoryPlan } from '../../plan/memory-planner.js';
import { optimizeGraph } from '../../plan/passes.js';
import { fuseBottlenecks, lowerInvertedResiduals } from '../../plan/fuse-bottleneck.js';
import { fuseInt8Convs, lowerInt8Convs } from '../../plan/fuse-int8.js';
import { DISPOSED_MEMORY, type Backend, type BackendInfo, type CompileOptions, type DevicePeaks, type Executable, type MemoryReport, type NodeTiming, type TensorData } from '../backend.js';
import { readInputs } from '../inputs.js';
import { releaseDerived } from '../release-derived.js';
import { writeParams } from '../params.js';
import { unsupportedNodes } from '../unsupported.js';
import { opDef } from '../../ops/registry.js';
import { sharedGpu, type GpuContext } from './device.js';
import { pipelineFor } from './pipeline-cache.js';
import { PACKED_DOT } from './wgsl.js';
import { measureGpuPeaks } from './peaks.js';
import type { Dispatch, GpuKernelContext } from './kernel.js';
import { GPU_KERNELS } from './register-kernels.js';

export { sharedGpu, releaseSharedGpu } from './device.js';

/** Options of the WebGPU backend beyond the common ones. */
export interface WebgpuCompileOptions extends CompileOptions {
  /**
   * The device to run on: one the application already has, or a test's. Default: one device,
   * acquired on first use and shared by every executable (acquired again once lost).
   */
  gpu?: GpuContext;
  /** Time every node with timestamp queries when the adapter has them. Default true. */
  timestamps?: boolean;
  /**
   * Run 3x3 stride-1 convs by Winograd F(4x4, 3x3) where it pays (by shape; see
   * kernels/winograd.ts). Default true; false keeps every conv on the direct path, to compare;
   * 'all' runs every conv it applies to by Winograd, whatever the shape (tests of the kernel).
   */
  winograd?: boolean | 'all';
  /**
   * Run inverted residuals as one fused kernel (kernels/bottleneck.wgsl; the expanded tensor
   * never in the arena). Default true; false runs each block as its convs (for A/B).
   */
  fuseBottlenecks?: boolean;
  /**
   * Run a quantized model's convs on 8-bit integers (qconv2d, src/plan/fuse-int8.ts;
   * kernels/qconv2d.wgsl on dot4I8Packed) where the file computes them so: qdq -> conv (int8
   * weights) -> qdq. Default true; false runs them in float32 between their Q/DQ pairs, as
   * the file is written (and lowers a qconv2d the graph already has to that form).
   */
  int8?: boolean;
}

/** A timestamp query set holds at most this many queries (WebGPU's limit): two per node. */
const MAX_QUERIES = 4096;

/**
 * The WebGPU backend: WGSL compute shaders (kernels/) over one storage buffer per
 * executable, holding the planned activation arena followed by the model's constants. At
 * compile it plans memory, prepares each node's dispatches, writes every uniform block into
 * one buffer and creates every pipeline asynchronously, so a run compiles nothing: it
 * writes the inputs, records one compute pass per node into one command buffer, submits it
 * once and reads the outputs back. Nothing is allocated per run.
 */
export const webgpuBackend: Backend = {
  name: 'webgpu',
  async isAvailable() {
    try {
      await sharedGpu();
      return true;
    } catch (e) {
      if (e instanceof GpuError) return false;
      throw e;
    }
  },
  async compile(graph: Graph, options: WebgpuCompileOptions = {}): Promise<Executable> {
    const gpu = options.gpu ?? (await sharedGpu());
    // Inverted residuals fused (kernels/bottleneck.wgsl); those it has no tile for, or all
    // when told not to fuse, run as their convs.
    // Quantized convs on integers (qconv2d), or with `int8: false` as their float conv and qdq.
    const plain = options.optimize === false ? graph : optimizeGraph(graph).graph;
    const optimized = options.int8 === false ? lowerInt8Convs(plain) : options.optimize === false ? plain : fuseInt8Convs(plain).graph;
    const fused = options.optimize === false || options.fuseBottlenecks === false ? optimized : fuseBottlenecks(optimized).graph;
    const ir = GPU_KERNELS.get('invertedresidual');
    const g = lowerInvertedResiduals(fused, (n) => options.fuseBottlenecks === false || ir?.supports?.(n, fused, gpu) !== true);
    if (gpu.lost) throw new GpuError(lostMessage(gpu.lost));
    const { nodes: missing, reasons } = unsupportedNodes(g, (n) => {
      const kernel = GPU_KERNELS.get(n.op);
      return kernel ? kernel.supports?.(n, g, gpu) ?? true : 'no kernel';
    });
    const plan = planMemory(g, { workspaces: false });
    checkStorage(g, plan, gpu); // a model too large is that first, whatever else it needs
    if (missing.size && !options.fallback) throw new UnsupportedOpError('webgpu', missing, reasons);
    const exe = new WebgpuExecutable(g, plan, gpu, options.timestamps !== false && gpu.features.includes('timestamp-query'), new Set(missing.keys()));
    exe.winograd = options.winograd ?? true;
    await exe.init();
    return exe;
  },
  /** The shared device's peaks (kernels/peak.wgsl, see peaks.ts). */
  async peaks(): Promise<DevicePeaks> {
    const { gflops, bandwidthGBs, int8Gops } = await measureGpuPeaks(await sharedGpu());
    return { gflops, bandwidthGBs, int8Gops };
  },
};

/**
 * The storage buffer's size, checked before anything is allocated: the arena, plus at most
 * every initializer (a kernel may leave some unread), against the adapter's binding limit.
 */
function checkStorage(graph: Graph, plan: MemoryPlan, gpu: GpuContext): void {
  let initializerBytes = 0;
  for (const name of graph.initializers.keys()) initializerBytes += sizeOf(graph.shape(name)) * 4;
  const most = plan.arenaBytes + initializerBytes + 16 * graph.initializers.size;
  const limit = Math.min(gpu.limits.maxStorageBufferBindingSize, gpu.limits.maxBufferSize);
  if (most > limit) {
    throw new LimitError(
      graph.name,
      `the GPU storage buffer (activations ${plan.arenaBytes} bytes at this batch, weights ${initializerBytes} bytes)`,
      most,
      limit,
      "that is the adapter's largest storage binding: use a smaller batch or input size, or the wasm backend",
    );
  }
}

function lostMessage(info: GPUDeviceLostInfo): string {
  return `the GPU device was lost (${info.reason}${info.message ? `: ${info.message}` : ''}); compile the model again to run it on a new device`;
}

interface Step {
  readonly node: Node;
  readonly dispatches: readonly { pipeline: GPUComputePipeline; bindGroup: GPUBindGroup; workgroups: readonly [number, number, number] }[];
  /** Runs on the reference backend (compiled with `fallback`): its inputs read back, its output written. */
  readonly fallback?: boolean;
}

class WebgpuExecutable implements Executable {
  readonly inputs;
  readonly outputs: { name: string; shape: Shape }[];
  private readonly device: GPUDevice;
  /** Every buffer this executable made, for memory() and dispose(). */
  private readonly buffers = new Set<GPUBuffer>();
  private storage: GPUBuffer | undefined;
  private staging: GPUBuffer | undefined;
  private fallbackStaging: GPUBuffer | undefined;
  private querySet: GPUQuerySet | undefined;
  private queryResolve: GPUBuffer | undefined;
  private queryReadback: GPUBuffer | undefined;
  private steps: Step[] = [];
  private outputOffsets: number[] = [];
  private constantBytes = 0;
  private timings: NodeTiming[] = [];
  private disposed = false;
  /** Runs one at a time: they share the staging buffer. */
  private chain: Promise<unknown> = Promise.resolve();
  /** GpuKernelContext.winograd: set from the compile options before init. */
  winograd: boolean | 'all' = true;

  constructor(
    readonly graph: Graph,
    private readonly plan: MemoryPlan,
    private readonly gpu: GpuContext,
    private readonly timestamps: boolean,
    /** Nodes that run on the reference backend between GPU submissions. */
    private readonly fallbackNodes: ReadonlySet<string> = new Set(),
  ) {
    this.inputs = graph.inputs;
    this.outputs = graph.outputs.map((name) => ({ name, shape: graph.shape(name) }));
    this.device = gpu.device;
  }

  async init(): Promise<void> {
    const { graph, plan, gpu, device } = this;
    const U = gpu.flags.bufferUsage;
    // Constants go after the arena, each initializer as a kernel first asks for it.
    let top = Math.ceil(plan.arenaBytes / 16) * 4;
    // Between them the scratch region: the most any node needs for its own step (Winograd's tiles).
    const scratch = top;
    top += Math.ceil(Math.max(0, ...graph.nodes.map((n) => (this.fallbackNodes.has(n.name) ? 0 : GPU_KERNELS.get(n.op)?.scratchFloats?.(n, graph, this) ?? 0))) / 4) * 4;
    // Placed by name and read only as they are written, so no more than one derived weight
    // (a folded or re-laid-out one) is held at a time beside the GPU's copy.
    const constants: { at: number; tensor: string; make?: () => Float32Array }[] = [];
    let madeFloats = 0;
    const initializerAt = new Map<string, number>();
    const constant = (tensor: string): number => {
      const at = top;
      constants.push({ at, tensor });
      top += Math.ceil(sizeOf(graph.shape(tensor)) / 4) * 4;
      return at;
    };
    const ctx: GpuKernelContext = {
      graph,
      gpu,
      offset(tensor) {
        const bytes = plan.offsets.get(tensor);
        if (bytes !== undefined) return bytes / 4;
        let at = initializerAt.get(tensor);
        if (at === undefined) {
          if (!graph.initializers.has(tensor)) throw new ExecutableError(`no storage planned for tensor '${tensor}'`);
          initializerAt.set(tensor, (at = constant(tensor)));
        }
        return at;
      },
      grid(invocations, size) {
        const groups = Math.max(1, Math.ceil(invocations / size));
        const max = gpu.limits.maxComputeWorkgroupsPerDimension;
        const y = Math.ceil(groups / max);
        if (y > max) throw new ExecutableError(`${invocations} invocations exceed the adapter's ${max} x ${max} workgroups`);
        return [Math.min(groups, max), y, 1];
      },
      winograd: this.winograd,
      scratch,
      constant(length, make) {
        const at = top;
        constants.push({ at, tensor: '', make });
        top += Math.ceil(length / 4) * 4;
        madeFloats += length;
        return at;
      },
    };
    const prepared = graph.nodes.map((node) =>
      this.fallbackNodes.has(node.name) ? { node, dispatches: [], fallback: true } : { node, dispatches: GPU_KERNELS.get(node.op)!.prepare(node, ctx) },
    );
    this.outputOffsets = this.outputs.map((o) => ctx.offset(o.name));
    this.constantBytes = constants.reduce((s, c) => s + (c.make ? 0 : sizeOf(graph.shape(c.tensor))) * 4, madeFloats * 4);

    const bytes = Math.max(16, top * 4);

    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    try {
      const storage = (this.storage = this.createBuffer('webconv.storage', bytes, U.STORAGE | U.COPY_DST | U.COPY_SRC));
      for (const c of constants) {
        const data = c.make?.() ?? graph.weight(c.tensor);
        device.queue.writeBuffer(storage, c.at * 4, data.buffer, data.byteOffset, data.byteLength);
        releaseDerived(graph, [c.tensor]);
      }
      releaseDerived(graph, graph.initializers.keys());

      // Every dispatch's uniform block, each at the adapter's uniform offset alignment.
      const align = gpu.limits.minUniformBufferOffsetAlignment;
      const all = prepared.flatMap((p) => p.dispatches);
      const blockBytes = (d: Dispatch) => Math.ceil((d.params.length * 4) / 16) * 16;
      const at: number[] = [];
      let paramsTop = 0;
      for (const d of all) {
        at.push(paramsTop);
        paramsTop = Math.ceil((paramsTop + blockBytes(d)) / align) * align;
      }
      const paramData = new ArrayBuffer(Math.max(16, paramsTop));
      all.forEach((d, i) => writeParams(paramData, at[i], d.params));
      const params = this.createBuffer('webconv.params', paramData.byteLength, U.UNIFORM | U.COPY_DST);
      device.queue.writeBuffer(params, 0, paramData);

      const packedDot = gpu.wgslFeatures?.includes(PACKED_DOT) ?? false;
      const pipelines = await Promise.all(all.map((d) => pipelineFor(device, d, packedDot))).catch((e: unknown) => {
        throw new GpuError(`a WGSL pipeline failed to compile: ${e instanceof Error ? e.message : String(e)}`);
      });
      let i = 0;
      this.steps = prepared.map(({ node, dispatches, fallback }) => ({
        node,
        fallback,
        dispatches: dispatches.map((d) => {
          const pipeline = pipelines[i];
          const bindGroup = device.createBindGroup({
            label: `${node.name}.${d.kernel}`,
            layout: pipeline.getBindGroupLayout(0),
            entries: [
              { binding: 0, resource: { buffer: params, offset: at[i++], size: blockBytes(d) } },
              { binding: 1, resource: { buffer: storage } },
            ],
          });
          return { pipeline, bindGroup, workgroups: d.workgroups };
        }),
      }));

      const passes = this.steps.filter((s) => s.dispatches.length).length;
      if (this.timestamps && passes > 0 && 2 * passes <= MAX_QUERIES) {
        this.querySet = device.createQuerySet({ label: 'webconv.timestamps', type: 'timestamp', count: 2 * passes });
        this.queryResolve = this.createBuffer('webconv.timestamps.resolve', 16 * passes, U.QUERY_RESOLVE | U.COPY_SRC);
        this.queryReadback = this.createBuffer('webconv.timestamps.readback', 16 * passes, U.MAP_READ | U.COPY_DST);
      }
      const outBytes = this.outputs.reduce((s, o) => s + sizeOf(o.shape) * 4, 0);
      this.staging = this.createBuffer('webconv.staging', Math.max(16, outBytes), U.MAP_READ | U.COPY_DST);
      // A fallback node's activation inputs come back through a staging buffer of their own.
      const fallbackBytes = Math.max(0, ...this.steps.filter((s) => s.fallback).map((s) => this.activationInputs(s.node).reduce((n, t) => n + sizeOf(graph.shape(t)) * 4, 0)));
      if (fallbackBytes) this.fallbackStaging = this.createBuffer('webconv.fallback', fallbackBytes, U.MAP_READ | U.COPY_DST);
    } finally {
      const validation = await device.popErrorScope();
      const oom = await device.popErrorScope();
      const error = oom ?? validation;
      if (error) {
        this.release();
        // eslint-disable-next-line no-unsafe-finally
        throw new GpuError(`compiling for the GPU failed: ${error.message}`);
      }
    }
  }

  private createBuffer(label: string, size: number, usage: number): GPUBuffer {
    const b = this.device.createBuffer({ label, size, usage });
    this.buffers.add(b);
    return b;
  }

  run(inputs: Record<string, TensorData | Float32Array> | Float32Array): Promise<Record<string, TensorData>> {
    const result = this.chain.then(() => this.runNow(inputs));
    this.chain = result.catch(() => undefined);
    return result;
  }

  private async runNow(inputs: Record<string, TensorData | Float32Array> | Float32Array): Promise<Record<string, TensorData>> {
    if (this.disposed) throw new ExecutableError('this executable was disposed');
    if (this.gpu.lost) throw new GpuError(lostMessage(this.gpu.lost));
    const { device, storage, staging } = this;
    const given = readInputs(this.inputs, inputs);
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    for (const [name, data] of given) {
      const at = this.plan.offsets.get(name)!;
      device.queue.writeBuffer(storage!, at, data.buffer, data.byteOffset, data.byteLength);
    }
    let encoder = device.createCommandEncoder({ label: 'webconv.run' });
    let q = 0;
    const fallbackMs = new Map<string, number>();
    for (const step of this.steps) {
      if (step.fallback) {
        // Submit what came before, read the node's inputs back, run its reference kernel,
        // write its output, and go on with a new encoder.
        const start = performance.now();
        encoder = await this.runFallback(step.node, encoder);
        fallbackMs.set(step.node.name, performance.now() - start);
        continue;
      }
      if (!step.dispatches.length) continue;
      const pass = encoder.beginComputePass({
        label: step.node.name,
        ...(this.querySet ? { timestampWrites: { querySet: this.querySet, beginningOfPassWriteIndex: q, endOfPassWriteIndex: q + 1 } } : {}),
      });
      q += 2;
      for (const d of step.dispatches) {
        pass.setPipeline(d.pipeline);
        pass.setBindGroup(0, d.bindGroup);
        pass.dispatchWorkgroups(...d.workgroups);
      }
      pass.end();
    }
    let out = 0;
    this.outputs.forEach((o, i) => {
      const bytes = sizeOf(o.shape) * 4;
      encoder.copyBufferToBuffer(storage!, this.outputOffsets[i] * 4, staging!, out, bytes);
      out += bytes;
    });
    if (this.querySet) {
      encoder.resolveQuerySet(this.querySet, 0, q, this.queryResolve!, 0);
      encoder.copyBufferToBuffer(this.queryResolve!, 0, this.queryReadback!, 0, q * 8);
    }
    device.queue.submit([encoder.finish()]);
    const validation = await device.popErrorScope();
    const oom = await device.popErrorScope();
    const error = oom ?? validation;
    if (error) throw new GpuError(`the GPU refused the run: ${error.message}`);

    const result: Record<string, TensorData> = {};
    await this.mapped(staging!, (bytes) => {
      let at = 0;
      for (const o of this.outputs) {
        const n = sizeOf(o.shape);
        result[o.name] = { shape: o.shape, data: new Float32Array(bytes.slice(at, at + n * 4)) };
        at += n * 4;
      }
    });
    if (this.queryReadback) {
      await this.mapped(this.queryReadback, (bytes) => {
        const ns = new BigUint64Array(bytes);
        let i = 0;
        this.timings = this.steps.map(({ node, dispatches }) => {
          if (!dispatches.length) return { node: node.name, op: node.op, ms: fallbackMs.get(node.name) ?? 0 };
          const ms = Number(ns[i + 1] - ns[i]) / 1e6;
          i += 2;
          return { node: node.name, op: node.op, ms: Math.max(0, ms) };
        });
      });
    }
    return result;
  }

  /** The inputs of a node held in the arena (not initializers), once each. */
  private activationInputs(node: Node): string[] {
    return [...new Set(node.inputs.filter((t) => this.plan.offsets.has(t)))];
  }

  /**
   * Runs a node on the reference backend in the middle of a run: submits `encoder` with a
   * copy of the node's activation inputs to the fallback staging buffer, maps it, runs the
   * op's reference kernel, writes the output into the arena; returns a new encoder.
   */
  private async runFallback(node: Node, encoder: GPUCommandEncoder): Promise<GPUCommandEncoder> {
    const { device, graph } = this;
    const inputs = this.activationInputs(node);
    const at = new Map<string, number>();
    let top = 0;
    for (const t of inputs) {
      at.set(t, top);
      const bytes = sizeOf(graph.shape(t)) * 4;
      encoder.copyBufferToBuffer(this.storage!, this.plan.offsets.get(t)!, this.fallbackStaging!, top, bytes);
      top += bytes;
    }
    device.queue.submit([encoder.finish()]);
    const values = new Map<string, Float32Array>();
    if (inputs.length) {
      await this.mapped(this.fallbackStaging!, (bytes) => {
        for (const t of inputs) values.set(t, new Float32Array(bytes.slice(at.get(t)!, at.get(t)! + sizeOf(graph.shape(t)) * 4)));
      });
    }
    const view = (t: string) => ({ shape: graph.shape(t), data: values.get(t) ?? graph.weight(t) });
    const outputs = node.outputs.map((t) => ({ shape: graph.shape(t), data: new Float32Array(sizeOf(graph.shape(t))) }));
    opDef(node.op).reference(node, node.inputs.map(view), outputs);
    node.outputs.forEach((t, k) => device.queue.writeBuffer(this.storage!, this.plan.offsets.get(t)!, outputs[k].data));
    return device.createCommandEncoder({ label: `webconv.run after ${node.name}` });
  }

  /** Maps a MAP_READ buffer, hands its bytes to `read`, unmaps it. */
  private async mapped(buffer: GPUBuffer, read: (bytes: ArrayBuffer) => void): Promise<void> {
    try {
      await buffer.mapAsync(this.gpu.flags.mapMode.READ);
    } catch (e) {
      if (this.gpu.lost) throw new GpuError(lostMessage(this.gpu.lost));
      throw new GpuError(`reading the GPU's results failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    try {
      read(buffer.getMappedRange());
    } finally {
      buffer.unmap();
    }
  }

  /** Per-node GPU times of the last run, from timestamp queries; empty when the adapter has none. */
  profile(): NodeTiming[] {
    return [...this.timings];
  }

  memory(): MemoryReport {
    if (this.disposed) return DISPOSED_MEMORY;
    let totalBytes = 0;
    for (const b of this.buffers) totalBytes += b.size;
    return { weightBytes: this.constantBytes, arenaBytes: this.plan.arenaBytes, peakBytes: this.plan.peakBytes, totalBytes };
  }

  info(): BackendInfo {
    return {
      backend: 'webgpu',
      adapter: this.gpu.adapterName,
      features: this.querySet ? ['timestamp-query'] : [],
      threads: 1,
      fallbackNodes: [...this.fallbackNodes],
    };
  }

  private release(): void {
    for (const b of this.buffers) b.destroy();
    this.buffers.clear();
    this.querySet?.destroy();
    this.querySet = undefined;
    this.storage = this.staging = this.fallbackStaging = this.queryResolve = this.queryReadback = undefined;
    this.steps = [];
  }

  dispose(): void {
    this.disposed = true;
    this.release();
  }
}


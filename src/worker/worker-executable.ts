/**
 * Off the page's thread: a model compiled and run in a dedicated Web Worker, behind the same
 * `Executable` interface as an in-page one. `run()` on wasm does all its work synchronously
 * before its promise settles, so on the page's thread a ResNet-18 holds up rendering for
 * each whole run; in a worker, the page keeps drawing. Inputs and outputs are transferred to
 * and from the worker, not copied; the worker's typed errors arrive as the same classes.
 */
import type { BackendInfo, Executable, MemoryReport, NodeTiming, TensorData } from '../backends/backend.js';
import { DISPOSED_MEMORY } from '../backends/backend.js';
import { readInputs } from '../backends/inputs.js';
import { EngineError, ExecutableError, OptionError } from '../graph/errors.js';
import { Graph, type GraphInput, type Shape } from '../graph/graph.js';
import type { ModelMetadata } from '../models/metadata.js';
import type { OnnxImportOptions } from '../onnx/import.js';
import { errorFromData, graphToData, type BackendOptions, type Compiled, type ModelSource, type Reply, type RequestBody, type RunResult } from './protocol.js';

/** Options of {@link compileInWorker}: the backend's own (but a GPU device, which stays in its thread), and the worker's. */
export interface WorkerCompileOptions extends BackendOptions {
  /** wasm (default), webgpu (workers have `navigator.gpu`) or reference. */
  backend?: string;
  /**
   * The worker script, dist/webconv.worker.js of this package. Default: beside the bundle
   * (dist/webconv.browser.js) or the package's dist/; pass it when a bundler or a CDN puts
   * the script elsewhere.
   */
  workerUrl?: string | URL;
  /** How the worker imports an ONNX source (batch, input shapes). */
  onnx?: OnnxImportOptions;
  /**
   * Transfer the inputs' buffers to the worker (default true): no copy, and the arrays passed
   * to run() are detached afterwards (length 0). An input that views part of a larger buffer,
   * or shared memory, is copied and the copy transferred. False copies every input.
   */
  transferInputs?: boolean;
}

/** A model for a worker: a graph (built or imported on the page), or the bytes of an ONNX file, imported in the worker. */
export type WorkerModelSource = Graph | Uint8Array | ArrayBuffer;

/** Where dist/webconv.worker.js is: beside the browser bundle, or one folder up from dist/worker/ (tsc's output). */
export function defaultWorkerUrl(): URL {
  const here = import.meta.url;
  return new URL(/\/worker\/[^/]+\.js$/.test(here) ? '../webconv.worker.js' : './webconv.worker.js', here);
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/** A started worker and its outstanding requests, by id; one listener each, removed when it ends. */
class WorkerConnection {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private ended: Error | undefined;
  private readonly worker: Worker;

  constructor(private readonly url: string | URL) {
    if (typeof Worker !== 'function') throw new EngineError('this context has no Web Workers (Worker is undefined): compile in the page instead');
    try {
      this.worker = new Worker(url, { type: 'module', name: 'webconv' });
    } catch (e) {
      throw new OptionError(`cannot start the worker script '${String(url)}': ${(e as Error).message}`);
    }
    this.worker.addEventListener('message', this.onMessage);
    this.worker.addEventListener('error', this.onError);
    this.worker.addEventListener('messageerror', this.onMessageError);
  }

  private readonly onMessage = (e: MessageEvent): void => {
    const reply = e.data as Reply;
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    if (reply.ok) p.resolve(reply.value);
    else p.reject(errorFromData(reply.error));
  };

  private readonly onError = (e: Event): void => {
    e.preventDefault();
    const why = typeof ErrorEvent === 'function' && e instanceof ErrorEvent && e.message ? e.message : `its script did not load (is '${String(this.url)}' the path of dist/webconv.worker.js, served as JavaScript?)`;
    this.end(new ExecutableError(`the worker failed: ${why}`));
  };

  private readonly onMessageError = (): void => {
    this.end(new ExecutableError('a reply from the worker could not be deserialized'));
  };

  /** Sends a request; its reply settles the promise. */
  request<T>(message: RequestBody, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.ended) return Promise.reject(this.ended);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      try {
        this.worker.postMessage({ ...message, id }, transfer);
      } catch (e) {
        // Something that cannot be cloned (a function, a GPU object) among the options.
        this.pending.delete(id);
        reject(new OptionError(`cannot send this ${message.type} request to the worker: ${(e as Error).message}`));
      }
    });
  }

  /** Terminates the worker, removes the listeners and rejects what is outstanding with `reason`. */
  end(reason: Error): void {
    if (this.ended) return;
    this.ended = reason;
    this.worker.removeEventListener('message', this.onMessage);
    this.worker.removeEventListener('error', this.onError);
    this.worker.removeEventListener('messageerror', this.onMessageError);
    this.worker.terminate();
    for (const p of this.pending.values()) p.reject(reason);
    this.pending.clear();
  }
}

/** The inputs as the worker takes them, and the buffers to hand over (see {@link WorkerCompileOptions.transferInputs}). */
function packInputs(expected: readonly GraphInput[], given: Record<string, TensorData | Float32Array> | Float32Array, transfer: boolean) {
  const inputs: Record<string, { shape: Shape; data: Float32Array }> = {};
  const buffers = new Set<ArrayBuffer>();
  readInputs(expected, given).forEach(([name, data], i) => {
    if (transfer) {
      const own = data.buffer instanceof ArrayBuffer && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && !buffers.has(data.buffer);
      if (!own) data = data.slice();
      buffers.add(data.buffer as ArrayBuffer);
    }
    inputs[name] = { shape: expected[i].shape, data };
  });
  return { inputs, transfer: [...buffers] };
}

/** A compiled model that runs in its own dedicated worker; see {@link compileInWorker}. */
export class WorkerExecutable implements Executable {
  readonly inputs: readonly GraphInput[];
  readonly outputs: readonly { readonly name: string; readonly shape: Shape }[];
  /** Present when the worker's backend keeps MAC counters (wasm). */
  readonly counters?: (inputs: Record<string, TensorData | Float32Array> | Float32Array) => Promise<Map<string, number>>;
  private readonly backendInfo: BackendInfo;
  private lastProfile: NodeTiming[] = [];
  private lastMemory: MemoryReport;
  private disposed = false;

  /** @internal use {@link compileInWorker} */
  constructor(
    private readonly connection: WorkerConnection,
    compiled: Compiled,
    private readonly transfer: boolean,
  ) {
    this.inputs = compiled.inputs;
    this.outputs = compiled.outputs;
    this.backendInfo = { ...compiled.info, features: [...compiled.info.features, 'worker'] };
    this.lastMemory = compiled.memory;
    if (compiled.counters) {
      this.counters = (inputs) => {
        const packed = packInputs(this.inputs, inputs, this.transfer);
        return this.connection.request<Map<string, number>>({ type: 'counters', inputs: packed.inputs }, packed.transfer);
      };
    }
  }

  async run(inputs: Record<string, TensorData | Float32Array> | Float32Array): Promise<Record<string, TensorData>> {
    if (this.disposed) throw new ExecutableError('the executable was disposed');
    const packed = packInputs(this.inputs, inputs, this.transfer);
    const result = await this.connection.request<RunResult>({ type: 'run', inputs: packed.inputs }, packed.transfer);
    this.lastProfile = result.profile;
    this.lastMemory = result.memory;
    return result.outputs;
  }

  /** Per-node timings of the last run, as measured in the worker. */
  profile(): NodeTiming[] {
    return this.lastProfile;
  }

  memory(): MemoryReport {
    return this.disposed ? DISPOSED_MEMORY : this.lastMemory;
  }

  /** What ran, as the worker's executable reports it, with 'worker' among the features. */
  info(): BackendInfo {
    return this.backendInfo;
  }

  /** Terminates the worker (freeing all it held); runs still pending reject with an ExecutableError. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.connection.end(new ExecutableError('the executable was disposed'));
  }
}

/** Starts a worker and compiles `source` there; with `metadata`, the worker also checks it against the model. */
export async function startInWorker(
  source: WorkerModelSource,
  options: WorkerCompileOptions,
  metadata?: unknown,
): Promise<{ exe: WorkerExecutable; metadata?: ModelMetadata }> {
  const { backend = 'wasm', workerUrl, onnx, transferInputs = true, ...compileOptions } = options;
  if ('gpu' in compileOptions) throw new OptionError('a GPU device cannot be sent to a worker: the worker acquires its own (leave out { gpu })');
  let model: ModelSource;
  if (source instanceof Graph) model = { graph: graphToData(source) };
  else if (source instanceof Uint8Array || source instanceof ArrayBuffer) model = { onnx: new Uint8Array(source), options: onnx };
  else throw new OptionError('compileInWorker: the model must be a Graph or the bytes of an ONNX file (Uint8Array or ArrayBuffer)');
  const connection = new WorkerConnection(workerUrl ?? defaultWorkerUrl());
  try {
    const compiled = await connection.request<Compiled>({ type: 'compile', model, backend, options: compileOptions, metadata });
    return { exe: new WorkerExecutable(connection, compiled, transferInputs), metadata: compiled.metadata };
  } catch (e) {
    connection.end(new ExecutableError('compile failed'));
    throw e;
  }
}

/**
 * Compiles a model in a new dedicated Web Worker and returns it as an {@link Executable}
 * whose runs happen there: the page's thread stays free to draw and respond.
 *
 * ```ts
 * const exe = await compileInWorker(await (await fetch('model.onnx')).arrayBuffer(), { backend: 'wasm', threads: 2 });
 * const { logits } = await exe.run(input); // `input` is transferred: detached here afterwards
 * exe.dispose(); // terminates the worker
 * ```
 *
 * Threads (wasm) need a cross-origin-isolated page, as in the page itself; WebGPU runs in
 * the worker on the worker's own device. Errors are the same typed errors an in-page
 * compile or run throws (an `OnnxError` for a broken file, an `InputError` for a wrong
 * shape); an `EngineError` where there are no Web Workers.
 */
export async function compileInWorker(source: WorkerModelSource, options: WorkerCompileOptions = {}): Promise<WorkerExecutable> {
  return (await startInWorker(source, options)).exe;
}

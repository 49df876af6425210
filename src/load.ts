/**
 * One call from a model's address to something that runs: `load(url | bytes, options)`
 * downloads the ONNX file (streamed, with progress), imports it and compiles it on the best
 * backend this environment has, falling back when one fails, and says what it chose and
 * why. With `metadata` the result is a {@link Classifier}; without, an {@link Executable}.
 * Browser-safe: no Node module is imported here; `load` from `webconv/node` (load-node.ts)
 * also reads file paths.
 */
import './backends/register-all.js';
import type { BackendInfo, CompileOptions, Executable } from './backends/backend.js';
import { getBackend } from './backends/registry.js';
import type { WasmCompileOptions } from './backends/wasm/wasm-backend.js';
import { supports } from './backends/wasm/wasm-module.js';
import type { GpuContext } from './backends/webgpu/device.js';
import { describeAdapter } from './backends/webgpu/device.js';
import { MetadataError, OnnxError, OptionError } from './graph/errors.js';
import type { Graph } from './graph/graph.js';
import { Classifier } from './models/classifier.js';
import { parseMetadata } from './models/metadata.js';
import { importOnnx, type OnnxImportOptions } from './onnx/import.js';

/**
 * Where a model comes from: an absolute URL (or one relative to the page), the bytes of a
 * `.onnx` file, or a fetch `Response` (from the Cache API, say). `load` from `webconv/node`
 * also takes a file path.
 */
export type LoadSource = string | URL | ArrayBuffer | ArrayBufferView | Response;

/** The model's metadata (input size, scaling, labels): parsed JSON, or where to read it from. */
export type MetadataSource = object | string | URL;

/** What `load` is doing: a progress bar can use `loaded / total` in every phase. */
export interface LoadProgress {
  /** 'download': the model's bytes arrive; 'compile': a backend compiles it (one event at the start of each attempt, one when done). */
  readonly phase: 'download' | 'compile';
  /** download: bytes received so far; compile: 0 at the start, 1 when compiled. */
  readonly loaded: number;
  /** download: the file's size, when the server says it (Content-Length, no Content-Encoding); compile: 1. */
  readonly total: number | undefined;
  /** compile: the backend compiling. */
  readonly backend?: 'webgpu' | 'wasm';
}

/** One backend `load` considered, in order. */
export interface LoadAttempt {
  readonly backend: 'webgpu' | 'wasm';
  /** wasm: the build tried (relaxed SIMD, or plain SIMD). */
  readonly simd?: 'relaxed' | 'simd';
  readonly ok: boolean;
  /** Not tried: this environment lacks it (`error` says why). */
  readonly skipped?: boolean;
  /** Why it failed or was skipped: the compile error's message, or what detection found. */
  readonly error?: string;
}

/** What ran, as every executable reports it, plus how `load` chose it. */
export interface LoadInfo extends BackendInfo {
  readonly backend: 'webgpu' | 'wasm';
  /** wasm: the build in use. */
  readonly simd?: 'relaxed' | 'simd';
  /** One sentence: what was chosen, and why the candidates before it were not. */
  readonly reason: string;
  /** Every candidate, in the order considered; the last is the one chosen. */
  readonly attempts: readonly LoadAttempt[];
}

export interface LoadOptions extends CompileOptions, Omit<WasmCompileOptions, keyof CompileOptions> {
  /**
   * 'auto' (default): WebGPU when this environment has a hardware adapter, else wasm with
   * relaxed SIMD where the engine has it, else wasm SIMD; a backend whose compile fails is
   * recorded and the next one tried. 'webgpu' or 'wasm': that backend only (wasm still
   * falls back from relaxed SIMD to SIMD).
   */
  backend?: 'auto' | 'webgpu' | 'wasm';
  /** Called as the model downloads and compiles. */
  onProgress?: (progress: LoadProgress) => void;
  /**
   * Aborts the download, and stops between phases: `load` then rejects with the signal's
   * reason (by default a DOMException named 'AbortError'), having disposed anything it had
   * compiled.
   */
  signal?: AbortSignal;
  /** The model's metadata: with it, `load` returns a {@link Classifier} (the model must take one image). */
  metadata?: MetadataSource;
  /**
   * Let 'auto' choose a software WebGPU adapter (a fallback adapter such as SwiftShader or
   * WARP). Default false: they are correct but slower than wasm, so 'auto' goes on to wasm.
   */
  allowFallbackAdapter?: boolean;
  /**
   * The WebGPU device to use (see `acquireDevice`); default: the shared one. With 'auto' a
   * given device is tried whatever the environment (unless it is software and
   * `allowFallbackAdapter` is not set).
   */
  gpu?: GpuContext;
  /** Size given to a symbolic batch dimension; default 1 (a classifier takes one image). */
  batch?: number;
  /** Full input shapes by name, for inputs with symbolic non-batch dimensions. */
  inputShapes?: OnnxImportOptions['inputShapes'];
  /** The graph's name; default the file's name without `.onnx`, or the ONNX graph's name. */
  name?: string;
}

/** An executable from `load`: its `info()` also says how it was chosen. */
export interface LoadedModel extends Executable {
  info(): LoadInfo;
}

/** A classifier from `load` (with `metadata`): its `info()` also says how it was chosen. */
export interface LoadedClassifier extends Classifier {
  info(): LoadInfo;
}

/** The bytes of a model and the name to give its graph. */
export interface ModelBytes {
  readonly bytes: Uint8Array;
  readonly name?: string;
}

/** Reads a source's bytes (the browser's: fetch; Node's adds file paths). */
export type SourceReader = (source: LoadSource, signal: AbortSignal | undefined, progress: (p: LoadProgress) => void) => Promise<ModelBytes>;
/** Reads metadata given as a URL or (Node) a path, as parsed JSON. */
export type MetadataReader = (source: string | URL, signal: AbortSignal | undefined) => Promise<unknown>;

/**
 * Loads an ONNX model and compiles it on the best backend here. See {@link LoadOptions}.
 *
 * @example
 * const model = await load('/models/lenet5.onnx', {
 *   metadata: '/models/lenet5.json',
 *   onProgress: (p) => console.log(p.phase, p.loaded, p.total),
 *   signal: AbortSignal.timeout(30_000),
 * });
 * console.log(model.info().backend, model.info().reason); // "wasm", "auto chose wasm relaxed SIMD after WebGPU: ..."
 * const [top] = await model.classify(imageData);
 * model.dispose();
 */
export function load(source: LoadSource, options: LoadOptions & { metadata: MetadataSource }): Promise<LoadedClassifier>;
export function load(source: LoadSource, options?: LoadOptions): Promise<LoadedModel>;
export function load(source: LoadSource, options: LoadOptions = {}): Promise<LoadedModel | LoadedClassifier> {
  return loadWith(source, options, readSource, fetchJson);
}

type Candidate = { readonly backend: 'webgpu'; readonly simd?: undefined } | { readonly backend: 'wasm'; readonly simd: 'relaxed' | 'simd' };

const BACKENDS = ['auto', 'webgpu', 'wasm'];
const label = (c: Candidate) => (c.backend === 'webgpu' ? 'WebGPU' : c.simd === 'relaxed' ? 'wasm relaxed SIMD' : 'wasm SIMD');
const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** `load`, with the readers an entry provides (load-node.ts: file paths). */
export async function loadWith(source: LoadSource, options: LoadOptions, readModel: SourceReader, readMetadata: MetadataReader): Promise<LoadedModel | LoadedClassifier> {
  const { backend = 'auto', onProgress, signal, metadata, allowFallbackAdapter = false, batch = 1, inputShapes, name, ...compileOptions } = options;
  if (!BACKENDS.includes(backend)) throw new OptionError(`load: backend must be 'auto', 'webgpu' or 'wasm', found ${JSON.stringify(backend)}`);
  if (onProgress !== undefined && typeof onProgress !== 'function') throw new OptionError('load: onProgress must be a function');
  const progress = (p: LoadProgress) => onProgress?.(p);
  checkAbort(signal);
  const file = await readModel(source, signal, progress);
  checkAbort(signal);
  const json = metadata === undefined ? undefined : typeof metadata === 'string' || metadata instanceof URL ? await readMetadata(metadata, signal) : metadata;
  checkAbort(signal);
  const graph = importOnnx(file.bytes, { batch, ...(inputShapes ? { inputShapes } : {}), ...((name ?? file.name) ? { name: name ?? file.name } : {}) });
  // Metadata that does not fit the model is the caller's error, not a backend's: checked once, first.
  if (json !== undefined) parseMetadata(json, graph);

  const plan: Candidate[] = [];
  if (backend !== 'wasm') plan.push({ backend: 'webgpu' });
  if (backend !== 'webgpu') plan.push({ backend: 'wasm', simd: 'relaxed' }, { backend: 'wasm', simd: 'simd' });
  const attempts: LoadAttempt[] = [];
  let lastError: unknown;
  for (const candidate of plan) {
    checkAbort(signal);
    const skip = await whySkip(candidate, backend, compileOptions, allowFallbackAdapter);
    if (skip !== undefined) {
      attempts.push({ ...candidate, ok: false, skipped: true, error: skip });
      continue;
    }
    progress({ phase: 'compile', loaded: 0, total: 1, backend: candidate.backend });
    let made: Executable | Classifier;
    try {
      made = await compile(graph, json, candidate, compileOptions);
    } catch (e) {
      attempts.push({ ...candidate, ok: false, error: message(e) });
      lastError = e;
      continue;
    }
    attempts.push({ ...candidate, ok: true });
    try {
      checkAbort(signal);
      progress({ phase: 'compile', loaded: 1, total: 1, backend: candidate.backend });
    } catch (e) {
      made.dispose();
      throw e;
    }
    return withLoadInfo(made, candidate, reasonFor(backend, candidate, attempts), attempts);
  }
  checkAbort(signal);
  if (lastError !== undefined) throw lastError;
  throw new OptionError(`load: no backend could run here: ${attempts.map((a) => `${label(a as Candidate)}: ${a.error}`).join('; ')}`);
}

type AdapterLike = Parameters<typeof describeAdapter>[0];

/** Why a candidate is not worth trying here, or undefined to try it. */
async function whySkip(c: Candidate, asked: string, options: Omit<LoadOptions, 'backend'>, allowFallbackAdapter: boolean): Promise<string | undefined> {
  if (c.backend === 'wasm') {
    if (c.simd === 'simd') return undefined;
    if (options.relaxedSimd === false) return 'relaxedSimd: false was given';
    return supports('relaxed-simd') ? undefined : 'this engine has no relaxed SIMD (browsers ship it; Node 20 needs --experimental-wasm-relaxed-simd)';
  }
  if (asked === 'webgpu') return undefined;
  const soft = `a software adapter, slower than wasm (allowFallbackAdapter: true to use it anyway)`;
  if (options.gpu) return options.gpu.software && !allowFallbackAdapter ? `the given device's adapter, ${options.gpu.adapterName}, is ${soft}` : undefined;
  const gpu = (globalThis as { navigator?: { gpu?: { requestAdapter(): Promise<AdapterLike | null> } } }).navigator?.gpu;
  if (!gpu) return 'this environment has no navigator.gpu';
  let adapter: AdapterLike | null;
  try {
    adapter = await gpu.requestAdapter();
  } catch (e) {
    return `navigator.gpu.requestAdapter() failed: ${message(e)}`;
  }
  if (!adapter) return 'navigator.gpu found no adapter';
  const { name, software } = describeAdapter(adapter);
  return software && !allowFallbackAdapter ? `the adapter, ${name}, is ${soft}` : undefined;
}

async function compile(graph: Graph, metadata: unknown, c: Candidate, options: CompileOptions & WasmCompileOptions): Promise<Executable | Classifier> {
  const opts = c.backend === 'wasm' ? { ...options, relaxedSimd: c.simd === 'relaxed' } : options;
  if (metadata !== undefined) return Classifier.create(graph, metadata, { ...opts, backend: c.backend });
  return getBackend(c.backend).compile(graph, opts);
}

function reasonFor(asked: string, chosen: Candidate, attempts: readonly LoadAttempt[]): string {
  const before = attempts.slice(0, -1).map((a) => `${label(a as Candidate)}: ${a.skipped ? '' : 'failed, '}${a.error}`);
  const head = asked === 'auto' ? `auto chose ${label(chosen)}` : `backend '${asked}' asked for: ${label(chosen)}`;
  return before.length ? `${head} (${before.join('; ')})` : asked === 'auto' ? `${head}, the first candidate` : head;
}

/** Gives `made` an `info()` that also says how load chose it. */
function withLoadInfo(made: Executable | Classifier, chosen: Candidate, reason: string, attempts: readonly LoadAttempt[]): LoadedModel | LoadedClassifier {
  const base = made.info.bind(made);
  const frozen = Object.freeze(attempts.map((a) => Object.freeze({ ...a })));
  Object.defineProperty(made, 'info', {
    configurable: true,
    value: (): LoadInfo => ({ ...base(), backend: chosen.backend, ...(chosen.simd ? { simd: chosen.simd } : {}), reason, attempts: frozen }),
  });
  return made as LoadedModel | LoadedClassifier;
}

/** Throws the signal's reason (an AbortError DOMException unless the caller gave another) once it is aborted. */
export function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortReason(signal);
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('load() was aborted', 'AbortError');
}

/** The browser's sources: URLs (fetched), bytes and Responses. */
export async function readSource(source: LoadSource, signal: AbortSignal | undefined, progress: (p: LoadProgress) => void): Promise<ModelBytes> {
  if (source instanceof Uint8Array) return reportBytes(source, progress);
  if (source instanceof ArrayBuffer) return reportBytes(new Uint8Array(source), progress);
  if (ArrayBuffer.isView(source)) return reportBytes(new Uint8Array(source.buffer, source.byteOffset, source.byteLength), progress);
  if (typeof Response !== 'undefined' && source instanceof Response) return { bytes: await readResponse(source, source.url || 'the response', signal, progress), name: fileName(source.url) };
  if (typeof source === 'string' || source instanceof URL) {
    const url = resolveUrl(source);
    return { bytes: await readResponse(await get(url, signal, 'the model'), url.href, signal, progress), name: fileName(url.href) };
  }
  throw new OptionError(`load: the source must be a URL, the bytes of an ONNX file (ArrayBuffer, Uint8Array) or a Response, found ${source === null ? 'null' : typeof source}`);
}

function reportBytes(bytes: Uint8Array, progress: (p: LoadProgress) => void): ModelBytes {
  progress({ phase: 'download', loaded: bytes.length, total: bytes.length });
  return { bytes };
}

/** An absolute URL: a relative one against the page (or worker) it runs in. */
function resolveUrl(source: string | URL): URL {
  if (source instanceof URL) return source;
  const base = (globalThis as { location?: { href?: string } }).location?.href;
  try {
    return new URL(source, base);
  } catch {
    throw new OptionError(
      `load: '${source}' is not an absolute URL and there is no page to resolve it against` +
        (base === undefined ? " (to read a file path in Node, Deno or Bun, import load from 'webconv/node')" : ''),
    );
  }
}

/** The file's name without `.onnx`, from a URL's last path segment. */
function fileName(url: string): string | undefined {
  try {
    const last = decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '');
    return last.replace(/\.onnx$/i, '') || undefined;
  } catch {
    return undefined;
  }
}

async function get(url: URL, signal: AbortSignal | undefined, what: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, signal ? { signal } : {});
  } catch (e) {
    if (signal?.aborted) throw abortReason(signal);
    throw new OnnxError('invalid', `cannot download ${what} from ${url.href}: ${message(e)}`);
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    throw new OnnxError('invalid', `cannot download ${what} from ${url.href}: HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`);
  }
  return response;
}

/** A response's body, read as a stream so progress is reported as it arrives. */
async function readResponse(response: Response, what: string, signal: AbortSignal | undefined, progress: (p: LoadProgress) => void): Promise<Uint8Array> {
  if (!response.ok) throw new OnnxError('invalid', `cannot read the model from ${what}: HTTP ${response.status}`);
  const header = response.headers.get('content-length');
  const encoding = response.headers.get('content-encoding');
  // A compressed transfer's Content-Length counts compressed bytes; the stream gives decoded ones.
  const length = header === null || (encoding !== null && encoding !== 'identity') ? NaN : Number(header);
  const total = Number.isSafeInteger(length) && length >= 0 ? length : undefined;
  if (!response.body) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    progress({ phase: 'download', loaded: bytes.length, total: bytes.length });
    return bytes;
  }
  const reader = response.body.getReader();
  let buffer = new Uint8Array(total ?? 1 << 16);
  let loaded = 0;
  progress({ phase: 'download', loaded: 0, total });
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (e) {
        if (signal?.aborted) throw abortReason(signal);
        throw new OnnxError('invalid', `the download of ${what} failed after ${loaded} bytes: ${message(e)}`);
      }
      const { done, value } = chunk;
      if (done) break;
      if (loaded + value.length > buffer.length) {
        const grown = new Uint8Array(Math.max(buffer.length * 2, loaded + value.length));
        grown.set(buffer.subarray(0, loaded));
        buffer = grown;
      }
      buffer.set(value, loaded);
      loaded += value.length;
      progress({ phase: 'download', loaded, total: total === undefined ? undefined : Math.max(total, loaded) });
    }
  } catch (e) {
    // Stops the transfer (an abort, a failed read, the progress callback's own error).
    await reader.cancel().catch(() => undefined);
    throw e;
  } finally {
    reader.releaseLock();
  }
  return loaded === buffer.length ? buffer : buffer.slice(0, loaded);
}

/** Metadata from a URL, as parsed JSON. */
export async function fetchJson(source: string | URL, signal: AbortSignal | undefined): Promise<unknown> {
  const url = resolveUrl(source);
  let text: string;
  try {
    text = await (await get(url, signal, 'the metadata')).text();
  } catch (e) {
    if (signal?.aborted) throw abortReason(signal);
    if (e instanceof OnnxError) throw new MetadataError(e.message);
    throw new MetadataError(`cannot read the metadata from ${url.href}: ${message(e)}`);
  }
  return parseJson(text, url.href);
}

export function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new MetadataError(`${where}: not JSON (${message(e).split('\n')[0]})`);
  }
}

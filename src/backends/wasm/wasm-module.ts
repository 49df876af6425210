import { EngineError, OptionError } from '../../graph/errors.js';
import { RELAXED_WASM_PATCH, SIMD_WASM } from './binary.generated.js';
import { applyPatch, latin1Bytes } from './binary-encoding.js';
import { withSharedMemory } from './shared-memory.js';
import { nodeWorkerThreads } from './thread-pool.js';

export type WasmFlavor = 'simd' | 'relaxed-simd';

const binaries = new Map<WasmFlavor, Uint8Array<ArrayBuffer>>();

/** A flavor's embedded build (plain memory; the shared-memory ones are derived, shared-memory.ts), decoded once. */
export function wasmBinary(flavor: WasmFlavor): Uint8Array<ArrayBuffer> {
  let bytes = binaries.get(flavor);
  if (!bytes) {
    bytes = flavor === 'simd' ? latin1Bytes(SIMD_WASM) : applyPatch(wasmBinary('simd'), latin1Bytes(RELAXED_WASM_PATCH));
    binaries.set(flavor, bytes);
  }
  return bytes;
}

const modules = new Map<string, Promise<WebAssembly.Module>>();

/**
 * The kernels compiled ahead, for runtimes that forbid compiling WebAssembly from bytes at
 * run time (Cloudflare Workers / workerd and other edge runtimes): each the package's
 * `dist/wasm/<file>` imported as a module (`import simd from 'webconv/wasm/webconv-simd.wasm'`),
 * which such a runtime hands over as a `WebAssembly.Module`. See {@link setWasmModules}.
 */
/**
 * `WebAssembly.Module` where the consumer's lib declares WebAssembly (DOM, webworker), and
 * `object` where it does not (lib ES2022 + @types/node), so the declarations type-check for both.
 */
export type CompiledWasmModule = typeof globalThis extends { WebAssembly: { Module: abstract new (...args: never[]) => infer M } } ? M : object;

export interface WasmModules {
  /** webconv-simd.wasm: plain SIMD, the one every engine with SIMD runs. Required. */
  simd: CompiledWasmModule;
  /** webconv-relaxed.wasm: relaxed SIMD (fused multiply-add), used instead of `simd` unless a compile asks for `relaxedSimd: false`. */
  relaxed?: CompiledWasmModule;
  /** webconv-simd-shared.wasm: plain SIMD over shared memory, for `threads` > 1. */
  simdShared?: CompiledWasmModule;
  /** webconv-relaxed-shared.wasm: relaxed SIMD over shared memory, for `threads` > 1. */
  relaxedShared?: CompiledWasmModule;
}

let given: WasmModules | undefined;

/** An export every build of the kernels has: how a given module is told from another one. */
const KERNELS_EXPORT = 'f32_peak_madd16x4__wasmsimd';

/**
 * Makes the wasm backend use these compiled kernels instead of compiling its embedded ones:
 * no WebAssembly is compiled from bytes afterwards (a flavor or the shared build not given
 * is then not used: `relaxed` missing means plain SIMD, a shared build missing means one
 * thread). `undefined` goes back to the embedded builds. Executables compiled before keep
 * the modules they were made with.
 */
export function setWasmModules(m: WasmModules | undefined): void {
  if (m !== undefined) {
    if (typeof m !== 'object' || m === null) throw new OptionError(`setWasmModules: expected { simd, relaxed?, simdShared?, relaxedShared? } of WebAssembly.Module, found ${m === null ? 'null' : typeof m}`);
    const unknown = Object.keys(m).filter((k) => !['simd', 'relaxed', 'simdShared', 'relaxedShared'].includes(k));
    if (unknown.length) throw new OptionError(`setWasmModules: unknown ${unknown.length === 1 ? 'key' : 'keys'} ${unknown.map((k) => `'${k}'`).join(', ')} (expected simd, relaxed, simdShared, relaxedShared)`);
    if (m.simd === undefined) throw new OptionError('setWasmModules: simd (webconv-simd.wasm as a WebAssembly.Module) is required');
    for (const [key, mod] of Object.entries(m) as [string, unknown][]) {
      if (mod === undefined) continue;
      if (!(mod instanceof WebAssembly.Module)) {
        throw new OptionError(`setWasmModules: ${key} must be a WebAssembly.Module (import the .wasm file as a module, or WebAssembly.compile it), found ${mod === null ? 'null' : typeof mod === 'object' ? (mod.constructor?.name ?? 'an object') : typeof mod}`);
      }
      if (!WebAssembly.Module.exports(mod).some((e) => e.name === KERNELS_EXPORT)) throw new OptionError(`setWasmModules: ${key} is not a build of webconv's kernels (it has no export '${KERNELS_EXPORT}')`);
      const memory = WebAssembly.Module.imports(mod).find((i) => i.module === 'env' && i.name === 'memory');
      if (!memory || memory.kind !== 'memory') throw new OptionError(`setWasmModules: ${key} is not a build of webconv's kernels (it imports no env.memory)`);
    }
  }
  given = m === undefined ? undefined : { ...m };
}

/** The modules given to {@link setWasmModules}, if any. */
export function wasmModules(): Readonly<WasmModules> | undefined {
  return given;
}

/** Whether this engine can run the flavor: validating its own binary is the feature test. */
export function supports(flavor: WasmFlavor): boolean {
  // Given modules were compiled by this engine, so it runs them.
  if (given) return flavor === 'simd' || given.relaxed !== undefined;
  try {
    return WebAssembly.validate(wasmBinary(flavor));
  } catch {
    return false;
  }
}

/**
 * Whether threads are possible here: shared wasm memory (SharedArrayBuffer, which browsers
 * give only to cross-origin-isolated pages) and workers.
 */
export function threadsPossible(): boolean {
  if (typeof SharedArrayBuffer === 'undefined') return false;
  // Given modules without a shared build: nothing to run the workers on (no compile from bytes).
  if (given && !given.simdShared && !given.relaxedShared) return false;
  const g = globalThis as { crossOriginIsolated?: boolean; process?: { versions?: { node?: string } }; Worker?: unknown };
  const node = typeof g.process?.versions?.node === 'string';
  // Node, Deno and Bun: worker_threads through process.getBuiltinModule (thread-pool.ts).
  if (node && !nodeWorkerThreads()) return false;
  if (!node && (g.crossOriginIsolated !== true || typeof g.Worker !== 'function')) return false;
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    return true;
  } catch {
    return false;
  }
}

/**
 * The compiled kernels module of a flavor (shared memory for threads): the one given to
 * {@link setWasmModules}, else the embedded build compiled once per process.
 */
export function kernelsModule(flavor: WasmFlavor, shared = false): Promise<CompiledWasmModule> {
  if (given) {
    // A relaxed flavor is only chosen when given (supports()); a shared build only when given
    // (threadsPossible()), but a flavor's shared build may be missing while the other's is there.
    const m = flavor === 'relaxed-simd' ? (shared ? given.relaxedShared : given.relaxed) : shared ? given.simdShared : given.simd;
    if (m) return Promise.resolve(m);
    return Promise.reject(new OptionError(`the wasm modules given to setWasmModules have no ${shared ? 'shared-memory ' : ''}${flavor} build (${shared ? (flavor === 'simd' ? 'simdShared' : 'relaxedShared') : flavor === 'simd' ? 'simd' : 'relaxed'}); give it, or compile with ${shared ? 'threads: 1' : 'relaxedSimd: false'}`));
  }
  const key = `${flavor}/${shared}` as const;
  let m = modules.get(key);
  if (!m) {
    const bytes = wasmBinary(flavor);
    m = WebAssembly.compile(shared ? withSharedMemory(bytes) : bytes).catch((e: unknown) => {
      modules.delete(key);
      // Edge runtimes (Cloudflare Workers / workerd, ...) refuse to compile WebAssembly from bytes.
      throw new EngineError(
        `this runtime refused to compile webconv's kernels from bytes (${e instanceof Error ? e.message : String(e)}); ` +
          "where code generation is forbidden (Cloudflare Workers and other edge runtimes), import webconv's dist/wasm/*.wasm files as modules and pass them to setWasmModules()",
      );
    });
    modules.set(key, m);
  }
  return m;
}

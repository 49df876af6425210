import { RELAXED_WASM_PATCH, SIMD_WASM } from './binary.generated.js';
import { applyPatch, latin1Bytes } from './binary-encoding.js';
import { withSharedMemory } from './shared-memory.js';

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

/** Whether this engine can run the flavor: validating its own binary is the feature test. */
export function supports(flavor: WasmFlavor): boolean {
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
  const g = globalThis as { crossOriginIsolated?: boolean; process?: { versions?: { node?: string } }; Worker?: unknown };
  const node = typeof g.process?.versions?.node === 'string';
  if (!node && (g.crossOriginIsolated !== true || typeof g.Worker !== 'function')) return false;
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    return true;
  } catch {
    return false;
  }
}

/** The compiled kernels module of a flavor (shared memory for threads), compiled once per process. */
export function kernelsModule(flavor: WasmFlavor, shared = false): Promise<WebAssembly.Module> {
  const key = `${flavor}/${shared}` as const;
  let m = modules.get(key);
  if (!m) {
    const bytes = wasmBinary(flavor);
    m = WebAssembly.compile(shared ? withSharedMemory(bytes) : bytes);
    modules.set(key, m);
  }
  return m;
}

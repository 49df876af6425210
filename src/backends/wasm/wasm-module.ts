import { RELAXED_WASM_BASE64, SIMD_WASM_BASE64 } from './binary.generated.js';
import { withSharedMemory } from './shared-memory.js';

export type WasmFlavor = 'simd' | 'relaxed-simd';

/** The embedded builds (plain memory); the shared-memory ones are derived (shared-memory.ts). */
const BINARIES: Record<WasmFlavor, string> = {
  simd: SIMD_WASM_BASE64,
  'relaxed-simd': RELAXED_WASM_BASE64,
};

function decode(base64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(base64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

const modules = new Map<string, Promise<WebAssembly.Module>>();

/** Whether this engine can run the flavor: validating its own binary is the feature test. */
export function supports(flavor: WasmFlavor): boolean {
  try {
    return WebAssembly.validate(decode(BINARIES[flavor]));
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
    const bytes = decode(BINARIES[flavor]);
    m = WebAssembly.compile(shared ? withSharedMemory(bytes) : bytes);
    modules.set(key, m);
  }
  return m;
}

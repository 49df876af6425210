import { RELAXED_WASM_BASE64, SIMD_WASM_BASE64 } from './binary.generated.js';

export type WasmFlavor = 'simd' | 'relaxed-simd';

function decode(base64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(base64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

const modules = new Map<WasmFlavor, Promise<WebAssembly.Module>>();

/** Whether this engine can run the flavor: validating its own binary is the feature test. */
export function supports(flavor: WasmFlavor): boolean {
  try {
    return WebAssembly.validate(decode(flavor === 'simd' ? SIMD_WASM_BASE64 : RELAXED_WASM_BASE64));
  } catch {
    return false;
  }
}

/** The compiled kernels module of a flavor, compiled once per process. */
export function kernelsModule(flavor: WasmFlavor): Promise<WebAssembly.Module> {
  let m = modules.get(flavor);
  if (!m) {
    m = WebAssembly.compile(decode(flavor === 'simd' ? SIMD_WASM_BASE64 : RELAXED_WASM_BASE64));
    modules.set(flavor, m);
  }
  return m;
}

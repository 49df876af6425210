import { ExecutableError } from '../graph/errors.js';
import { commonConstants } from './webgpu/shaders/common.js';

/**
 * A value of a kernel's parameter block, on either fast backend: an i32/u32 (a size, an
 * offset, a pointer) or, wrapped, an f32. The wasm backend writes a block into its memory,
 * the WebGPU backend into a uniform buffer; both 4 bytes a field.
 */
export type Param = number | { readonly f32: number };

/**
 * The fused-activation codes both fast backends pass to their kernels (a conv's or fc's
 * epilogue, the unfused activation kernels), declared once in kernels/common.wgsl: the WGSL
 * kernels use them as they are, scripts/build-wasm.mjs generates them for AssemblyScript,
 * and scripts/embed-wgsl.mjs exports them here.
 */
export const ACTIVATION_CODES = {
  none: commonConstants.ACT_NONE,
  relu: commonConstants.ACT_RELU,
  clip: commonConstants.ACT_CLIP,
  leakyrelu: commonConstants.ACT_LEAKYRELU,
  hardsigmoid: commonConstants.ACT_HARDSIGMOID,
  hardswish: commonConstants.ACT_HARDSWISH,
  silu: commonConstants.ACT_SILU,
  gelu: commonConstants.ACT_GELU,
} as const;

/** A parameter block's field: a 32-bit integer (a size, an offset, a pointer) or an f32. */
export type FieldType = 'i32' | 'u32' | 'f32';

/**
 * Packs a parameter block in its schema's field order (each schema declared once, in JSON
 * beside its kernels; scripts/ generate the typed packers that call this): integers as
 * they are, f32 fields wrapped. Throws on a missing value, so a block can never be short.
 */
export function packBlock(block: string, fields: readonly (readonly [string, FieldType])[], values: Readonly<Record<string, number>>): Param[] {
  return fields.map(([name, type]) => {
    const v = values[name];
    if (typeof v !== 'number') throw new Error(`parameter block '${block}': no value for field '${name}'`);
    return type === 'f32' ? { f32: v } : v;
  });
}

/**
 * Writes a parameter block at `byteOffset` of `buffer`, little-endian, 4 bytes a field: an
 * integer as i32/u32 (refused unless it fits 32 bits), an f32 as its bits. The one writer of
 * both fast backends: the wasm memory and the WebGPU uniform buffer's staging copy.
 */
export function writeParams(buffer: ArrayBufferLike, byteOffset: number, values: readonly Param[]): void {
  const view = new DataView(buffer, byteOffset, values.length * 4);
  values.forEach((v, i) => {
    if (typeof v === 'number') {
      if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 32) throw new ExecutableError(`parameter field ${i} = ${v} is not a 32-bit integer`);
      view.setUint32(i * 4, v >>> 0, true);
    } else view.setFloat32(i * 4, v.f32, true);
  });
}

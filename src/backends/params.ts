/**
 * A value of a kernel's parameter block, on either fast backend: an i32/u32 (a size, an
 * offset, a pointer) or, wrapped, an f32. The wasm backend writes a block into its memory,
 * the WebGPU backend into a uniform buffer; both 4 bytes a field.
 */
export type Param = number | { readonly f32: number };

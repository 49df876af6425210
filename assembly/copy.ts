// Block copies: the identity family (identity, dropout, flatten, reshape: one block) and
// concat (a list per thread: a byte range of every input's `count` blocks, strided in the output).
import { pi, pp } from './params';
import { Copy, CopyList } from './params.generated';

/** xx_copy_blocks__wasm: count blocks of bytes, each memory.copy (a memmove in the engine). */
export function xx_copy_blocks__wasm(p: usize): void {
  const count = pi(p, Copy.COUNT);
  const bytes = pp(p, Copy.BYTES), ss = pp(p, Copy.SRC_STRIDE), ds = pp(p, Copy.DST_STRIDE);
  let src = pp(p, Copy.SRC), dst = pp(p, Copy.DST);
  for (let i = 0; i < count; i++, src += ss, dst += ds) memory.copy(dst, src, bytes);
}

/**
 * xx_copy_list__wasm: a list of block copies (CopyList records, each as xx_copy_blocks__wasm):
 * a thread's share of a concat, a byte range of every input's blocks, in one call.
 */
export function xx_copy_list__wasm(p: usize): void {
  const n = pi(p, CopyList.COPIES);
  for (let i = 0; i < n; i++) {
    const f = p + (<usize>(CopyList.BLOCKS + i * CopyList.Blocks.FIELDS) << 2);
    const count = pi(f, CopyList.Blocks.COUNT);
    const bytes = pp(f, CopyList.Blocks.BYTES), ss = pp(f, CopyList.Blocks.SRC_STRIDE), ds = pp(f, CopyList.Blocks.DST_STRIDE);
    let src = pp(f, CopyList.Blocks.SRC), dst = pp(f, CopyList.Blocks.DST);
    for (let j = 0; j < count; j++, src += ss, dst += ds) memory.copy(dst, src, bytes);
  }
}

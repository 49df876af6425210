// Block copies: the identity family (identity, dropout, flatten, reshape: one block) and
// concat (one call per input: `count` blocks of `bytes`, strided in the output).
import { pi, pp } from './params';
import { Copy } from './params.generated';

/** xx_copy_blocks__wasm: count blocks of bytes, each memory.copy (a memmove in the engine). */
export function xx_copy_blocks__wasm(p: usize): void {
  const count = pi(p, Copy.COUNT);
  const bytes = pp(p, Copy.BYTES), ss = pp(p, Copy.SRC_STRIDE), ds = pp(p, Copy.DST_STRIDE);
  let src = pp(p, Copy.SRC), dst = pp(p, Copy.DST);
  for (let i = 0; i < count; i++, src += ss, dst += ds) memory.copy(dst, src, bytes);
}

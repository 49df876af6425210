// Block copies: the identity family (identity, dropout, flatten, reshape: one block) and
// concat (one call per input: `count` blocks of `bytes`, strided in the output).
import { pi, pp } from './params';

const SRC = 0;
const DST = 1;
const COUNT = 2;
const BYTES = 3;
const SRC_STRIDE = 4;
const DST_STRIDE = 5;

/** xx_copy_blocks__wasm: count blocks of bytes, each memory.copy (a memmove in the engine). */
export function xx_copy_blocks__wasm(p: usize): void {
  const count = pi(p, COUNT);
  const bytes = pp(p, BYTES), ss = pp(p, SRC_STRIDE), ds = pp(p, DST_STRIDE);
  let src = pp(p, SRC), dst = pp(p, DST);
  for (let i = 0; i < count; i++, src += ss, dst += ds) memory.copy(dst, src, bytes);
}

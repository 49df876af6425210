// The layout ops (transpose, slice and each output of split, channel shuffle) as one strided
// gather: y, contiguous, is x walked over up to 6 axes with the given element strides
// (negative for a slice with a negative step). The host merges axes first
// (src/ops/strided-view.ts collapseView), so a slice or split of rows and a channel shuffle
// are a few loops around one memory.copy per contiguous run.
import { pi, pp } from './params';
import { Gather } from './params.generated';

// Tile edge of the last two axes when the innermost one is strided (a transpose): each tile
// reads TILE runs along axis 4 and writes TILE rows, so both stay in cache. Untiled,
// NCHW -> NHWC of [1, 96, 56, 56] ran 3.6 ns per element here (every read a new line).
@inline const TILE: i32 = 16;

/** y[i4, i5] = x[i4 * s4 + i5 * s5] (byte strides), tile by tile. */
function plane(x: i32, y: usize, d4: i32, d5: i32, s4: i32, s5: i32): void {
  for (let b4 = 0; b4 < d4; b4 += TILE) {
    const e4 = min(b4 + TILE, d4);
    for (let b5 = 0; b5 < d5; b5 += TILE) {
      const e5 = min(b5 + TILE, d5);
      for (let i4 = b4; i4 < e4; i4++) {
        let src = x + i4 * s4 + b5 * s5;
        let dst = y + ((<usize>i4 * <usize>d5 + <usize>b5) << 2);
        for (let i5 = b5; i5 < e5; i5++, src += s5, dst += 4) store<f32>(dst, load<f32>(<usize>src));
      }
    }
  }
}

/** x32_gather_strided__wasm: y[i0..i5] = x[sum(i_d * strides[d])], 6 axes, left-padded with 1. */
export function x32_gather_strided__wasm(p: usize): void {
  const d0 = pi(p, Gather.DIMS), d1 = pi(p, Gather.DIMS + 1), d2 = pi(p, Gather.DIMS + 2);
  const d3 = pi(p, Gather.DIMS + 3), d4 = pi(p, Gather.DIMS + 4), d5 = pi(p, Gather.DIMS + 5);
  // Byte strides; pointers wrap like the host's offsets (wasm32: usize is 32 bits).
  const s0 = pi(p, Gather.STRIDES) << 2, s1 = pi(p, Gather.STRIDES + 1) << 2, s2 = pi(p, Gather.STRIDES + 2) << 2;
  const s3 = pi(p, Gather.STRIDES + 3) << 2, s4 = pi(p, Gather.STRIDES + 4) << 2, s5 = pi(p, Gather.STRIDES + 5) << 2;
  const row = <usize>d5 << 2;
  let y = pp(p, Gather.Y);
  let p0 = <i32>pp(p, Gather.X);
  for (let i0 = 0; i0 < d0; i0++, p0 += s0) {
    let p1 = p0;
    for (let i1 = 0; i1 < d1; i1++, p1 += s1) {
      let p2 = p1;
      for (let i2 = 0; i2 < d2; i2++, p2 += s2) {
        let p3 = p2;
        for (let i3 = 0; i3 < d3; i3++, p3 += s3) {
          if (s5 == 4) {
            let p4 = p3;
            for (let i4 = 0; i4 < d4; i4++, p4 += s4, y += row) memory.copy(y, <usize>p4, row);
          } else {
            plane(p3, y, d4, d5, s4, s5);
            y += <usize>d4 * row;
          }
        }
      }
    }
  }
}

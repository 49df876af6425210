// Constant padding of any rank; negative pads crop. The host merges each axis without
// pads into the axis outside it, so NCHW spatial padding is a handful of axes whose
// innermost rows are one memory.copy between two fills.
import { pf, pi, pp } from './params';
import { fillF32 } from './vector';

const X = 0;
const Y = 1;
const VALUE = 2;
const RANK = 3;
// Then per axis, outermost first: input extent, output extent, begin pad, input stride
// and output stride (elements).
const AXES = 4;

function padAxis(p: usize, d: i32, src: usize, dst: usize): void {
  const f = p + (<usize>(AXES + d * 5) << 2);
  const xd = load<i32>(f), yd = load<i32>(f, 4), begin = load<i32>(f, 8);
  const xs = <usize>load<i32>(f, 12) << 2, ys = load<i32>(f, 16);
  const value = pf(p, VALUE);
  // Output indices [lo, hi) map to input index o - begin; the rest is value.
  const lo = max(0, begin), hi = min(yd, begin + xd);
  if (lo >= hi) {
    fillF32(dst, yd * ys, value);
    return;
  }
  fillF32(dst, lo * ys, value);
  if (d == pi(p, RANK) - 1) {
    memory.copy(dst + (<usize>lo << 2), src + (<usize>(lo - begin) << 2), <usize>(hi - lo) << 2);
  } else {
    const ysb = <usize>ys << 2;
    for (let o = lo; o < hi; o++) padAxis(p, d + 1, src + <usize>(o - begin) * xs, dst + <usize>o * ysb);
  }
  fillF32(dst + (<usize>(hi * ys) << 2), (yd - hi) * ys, value);
}

/** x32_pad__wasmsimd: y = x surrounded (or cropped) by constant pads. */
export function x32_pad__wasmsimd(p: usize): void {
  padAxis(p, 0, pp(p, X), pp(p, Y));
}

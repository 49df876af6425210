// Constant padding of any rank; negative pads crop. The host merges each axis without
// pads into the axis outside it, so NCHW spatial padding is a handful of axes whose
// innermost rows are one memory.copy between two fills.
import { pf, pi, pp } from './params';
import { Pad } from './params.generated';
import { fillF32 } from './vector';

// Parameter block: Pad (assembly/params.json), then per axis, outermost first, a Pad.Axes
// record: input extent, output extent, begin pad, input stride and output stride (elements).

function padAxis(p: usize, d: i32, src: usize, dst: usize): void {
  const f = p + (<usize>(Pad.AXES + d * Pad.Axes.FIELDS) << 2);
  const xd = pi(f, Pad.Axes.X), yd = pi(f, Pad.Axes.Y), begin = pi(f, Pad.Axes.BEGIN);
  const xs = <usize>pi(f, Pad.Axes.XS) << 2, ys = pi(f, Pad.Axes.YS);
  const value = pf(p, Pad.VALUE);
  // Output indices [lo, hi) map to input index o - begin; the rest is value.
  const lo = max(0, begin), hi = min(yd, begin + xd);
  if (lo >= hi) {
    fillF32(dst, yd * ys, value);
    return;
  }
  fillF32(dst, lo * ys, value);
  if (d == pi(p, Pad.RANK) - 1) {
    memory.copy(dst + (<usize>lo << 2), src + (<usize>(lo - begin) << 2), <usize>(hi - lo) << 2);
  } else {
    const ysb = <usize>ys << 2;
    for (let o = lo; o < hi; o++) padAxis(p, d + 1, src + <usize>(o - begin) * xs, dst + <usize>o * ysb);
  }
  fillF32(dst + (<usize>(hi * ys) << 2), (yd - hi) * ys, value);
}

/** x32_pad__wasmsimd: y = x surrounded (or cropped) by constant pads. */
export function x32_pad__wasmsimd(p: usize): void {
  padAxis(p, 0, pp(p, Pad.X), pp(p, Pad.Y));
}

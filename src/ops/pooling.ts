import type { Node, Shape } from '../graph/graph.js';
import { elements, expectNCHW, type OpDef, type TensorView } from './op.js';
import { windowAttrs, windowOutput } from './window.js';

type Reduce = (x: Float32Array, base: number, W: number, n: Window) => number;
interface Window {
  h0: number;
  h1: number;
  w0: number;
  w1: number;
  dh: number;
  dw: number;
  /** The window clipped to the padded input (not the input): count_include_pad's divisor. */
  padded: number;
}

/** Slides the window over every output; `reduce` sees the part inside the input. */
function slide(node: Node, x: TensorView, y: TensorView, reduce: Reduce): void {
  const { kernel, stride, pads, dilation } = windowAttrs(node);
  const [N, C, H, W] = x.shape;
  const [, , OH, OW] = y.shape;
  for (let nc = 0; nc < N * C; nc++) {
    const base = nc * H * W;
    for (let oh = 0; oh < OH; oh++) {
      const hs = oh * stride[0] - pads[0];
      const he = hs + (kernel[0] - 1) * dilation[0] + 1;
      for (let ow = 0; ow < OW; ow++) {
        const ws = ow * stride[1] - pads[1];
        const we = ws + (kernel[1] - 1) * dilation[1] + 1;
        const paddedH = Math.min(he, H + pads[2]) - hs;
        const paddedW = Math.min(we, W + pads[3]) - ws;
        // first in-input tap on each axis, stepping by the dilation
        const h0 = hs < 0 ? hs + Math.ceil(-hs / dilation[0]) * dilation[0] : hs;
        const w0 = ws < 0 ? ws + Math.ceil(-ws / dilation[1]) * dilation[1] : ws;
        y.data[(nc * OH + oh) * OW + ow] = reduce(x.data, base, W, {
          h0, h1: Math.min(he, H), w0, w1: Math.min(we, W), dh: dilation[0], dw: dilation[1], padded: paddedH * paddedW,
        });
      }
    }
  }
}

function poolShapes(node: Node, [x]: readonly Shape[]): Shape[] {
  const [n, c, h, w] = expectNCHW(node, x);
  const [oh, ow] = windowOutput(node, windowAttrs(node), h, w);
  return [[n, c, oh, ow]];
}

/** Pooling FLOPs, as the lecture counts them: one per window element per output. */
function poolCost(node: Node, _in: readonly Shape[], [y]: readonly Shape[]) {
  const [kh, kw] = windowAttrs(node).kernel;
  return { macs: 0, flops: elements(y) * kh * kw, elementwiseFlops: 0 };
}

/**
 * Max pooling: kernel, stride, pads, dilation, ceilMode. Padding never wins the max; a NaN
 * in the window does (Math.max, as PyTorch's max_pool2d and ONNX MaxPool); a window with no
 * tap inside the input gives -Infinity.
 */
export const maxpool: OpDef<'maxpool'> = {
  type: 'maxpool',
  arity: [1, 1],
  elementwise: false,
  inplace: false,
  attrs: windowAttrs,
  inferShapes: poolShapes,
  cost: poolCost,
  reference(node, [x], [y]) {
    slide(node, x, y, (d, base, W, n) => {
      let m = -Infinity;
      for (let h = n.h0; h < n.h1; h += n.dh) for (let w = n.w0; w < n.w1; w += n.dw) m = Math.max(m, d[base + h * W + w]);
      return m;
    });
  },
};

/**
 * Average pooling: as maxpool, plus countIncludePad (whether padded zeros count in the
 * divisor; PyTorch's default is true, ONNX's is false). NaN and infinities follow IEEE sums
 * (inf + -inf = NaN). Without countIncludePad a window wholly in the padding is the mean of
 * no values, 0/0 = NaN, as in ONNX's reference implementation (PyTorch refuses such pads).
 */
export const avgpool: OpDef<'avgpool'> = {
  type: 'avgpool',
  arity: [1, 1],
  elementwise: false,
  inplace: false,
  attrs: (node) => ({ ...windowAttrs(node), countIncludePad: (node.attrs as { countIncludePad?: unknown }).countIncludePad === true }),
  inferShapes: poolShapes,
  cost: poolCost,
  reference(node, [x], [y]) {
    const includePad = (node.attrs as { countIncludePad?: boolean }).countIncludePad === true;
    slide(node, x, y, (d, base, W, n) => {
      let s = 0;
      let count = 0;
      for (let h = n.h0; h < n.h1; h += n.dh) {
        for (let w = n.w0; w < n.w1; w += n.dw) {
          s += d[base + h * W + w];
          count++;
        }
      }
      return s / (includePad ? n.padded : count);
    });
  },
};

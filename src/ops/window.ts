import { ShapeError } from '../graph/errors.js';
import type { Node } from '../graph/graph.js';
import { intsAttr } from './op.js';

/** The sliding-window attributes shared by conv2d and pooling. */
export interface WindowAttrs {
  /** [kh, kw] */
  readonly kernel: readonly [number, number];
  /** [sh, sw] */
  readonly stride: readonly [number, number];
  /** [top, left, bottom, right], as ONNX orders begin/end pads. */
  readonly pads: readonly [number, number, number, number];
  /** [dh, dw] */
  readonly dilation: readonly [number, number];
  readonly ceilMode: boolean;
}

export function windowAttrs(node: Node): WindowAttrs {
  const a = node.attrs as Record<string, unknown>;
  return {
    kernel: intsAttr(node, 'kernel', 2, 1) as unknown as [number, number],
    stride: intsAttr(node, 'stride', 2, 1) as unknown as [number, number],
    pads: intsAttr(node, 'pads', 4, 0) as unknown as [number, number, number, number],
    dilation: (a.dilation === undefined ? [1, 1] : intsAttr(node, 'dilation', 2, 1)) as unknown as [number, number],
    ceilMode: a.ceilMode === true,
  };
}

/**
 * Output extent of one spatial axis: floor((in + pads - dilated kernel) / stride) + 1, or
 * ceil in ceil mode, where (as in PyTorch and ONNX) the last window must start inside the
 * input or its left padding.
 */
export function outExtent(
  node: Node,
  axis: 'H' | 'W',
  input: number,
  kernel: number,
  stride: number,
  padBegin: number,
  padEnd: number,
  dilation: number,
  ceilMode: boolean,
): number {
  const span = dilation * (kernel - 1) + 1;
  const padded = input + padBegin + padEnd;
  if (padded < span) {
    throw new ShapeError(
      node.name,
      `padded input ${axis} >= kernel extent ${span}`,
      `${padded} (input ${input} + padding ${padBegin}+${padEnd}); the input is too small for this network`,
      'kernel',
    );
  }
  let out = ceilMode ? Math.ceil((padded - span) / stride) + 1 : Math.floor((padded - span) / stride) + 1;
  if (ceilMode && (out - 1) * stride >= input + padBegin) out -= 1;
  return out;
}

export function windowOutput(node: Node, w: WindowAttrs, h: number, wd: number): [number, number] {
  return [
    outExtent(node, 'H', h, w.kernel[0], w.stride[0], w.pads[0], w.pads[2], w.dilation[0], w.ceilMode),
    outExtent(node, 'W', wd, w.kernel[1], w.stride[1], w.pads[1], w.pads[3], w.dilation[1], w.ceilMode),
  ];
}

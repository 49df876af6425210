import { AttributeError, ShapeError } from '../graph/errors.js';
import type { Graph, Node } from '../graph/graph.js';
import { QDQ_RANGE, roundHalfEven } from './activation.js';
import type { NodeOf, QConv2dAttrs } from './attrs.js';
import { conv2d } from './conv2d.js';
import { fusedActivation } from './fused-activation.js';
import { intAttr, numAttr, type OpDef, type TensorView } from './op.js';
import { windowAttrs } from './window.js';

/**
 * qconv2d: a convolution on 8-bit integers, what onnxruntime's QLinearConv computes, made by
 * the int8 pass (src/plan/fuse-int8.ts) from a quantized model's
 * qdq(x) -> conv2d(dequantized int8 weights) [+ ReLU / Clip] -> qdq. Tensors stay float32
 * between ops (on their grids); the integers exist inside the kernel. Inputs: x [N, C, H, W]
 * (float), w [M, C/groups, kh, kw] holding integers in [-128, 127], wScale [M] (positive),
 * optional bias [M] (float). Attributes: conv2d's window and groups, `activation` (relu or
 * clip only: a clamp on the output grid), and the grids of x and y (scale, zero point, type).
 *
 *   xq[i]  = clamp(round(x[i] / xScale) + xZeroPoint, type range)        (QuantizeLinear)
 *   acc    = sum over the window of (xq - xZeroPoint) * w                 (exact integers; padding adds 0)
 *   bq[m]  = round(bias[m] / (xScale * wScale[m]))                          (the int32 bias)
 *   v      = float32(acc + bq[m]) * (xScale * wScale[m] / yScale)          (float32, onnxruntime's requantization)
 *   y      = clamp(round(v), lo, hi) * yScale                              (DequantizeLinear of the 8-bit output; 0 is +0)
 *
 * with lo, hi the output type's range less yZeroPoint, narrowed by the activation (ReLU: lo >= 0;
 * Clip: round(min / yScale), round(max / yScale)). Each product and quotient is float32's,
 * each round to even; NaN in x quantizes to the type's lowest value (as qdq does).
 */
export const qconv2d: OpDef<'qconv2d'> = {
  type: 'qconv2d',
  arity: [3, 4],
  elementwise: false,
  inplace: false,
  attrs(node) {
    const a = node.attrs as Record<string, unknown>;
    const activation = fusedActivation(node);
    if (activation && activation.op !== 'relu' && activation.op !== 'clip') throw new AttributeError(node.name, 'activation', "none, {op: 'relu'} or {op: 'clip', min, max}", activation.op);
    const grid = (prefix: 'x' | 'y') => {
      const type = a[`${prefix}Type`];
      if (type !== 'int8' && type !== 'uint8') throw new AttributeError(node.name, `${prefix}Type`, "'int8' or 'uint8'", type);
      const [qmin, qmax] = QDQ_RANGE[type];
      const scale = numAttr(node, `${prefix}Scale`, (v) => v > 0 && Math.fround(v) > 0 && Number.isFinite(Math.fround(v)), 'a positive finite float32');
      const zp = a[`${prefix}ZeroPoint`];
      if (typeof zp !== 'number' || !Number.isInteger(zp) || zp < qmin || zp > qmax) throw new AttributeError(node.name, `${prefix}ZeroPoint`, `an integer in [${qmin}, ${qmax}] (${type})`, zp);
      return { [`${prefix}Scale`]: Math.fround(scale), [`${prefix}ZeroPoint`]: zp, [`${prefix}Type`]: type };
    };
    const groups = a.groups === undefined ? 1 : intAttr(node, 'groups', 1);
    return { ...windowAttrs(node), groups, ...(activation ? { activation } : {}), ...grid('x'), ...grid('y') } as unknown as QConv2dAttrs;
  },
  inferShapes(node, [x, w, s, b]) {
    if (s.length !== 1 || s[0] !== w[0]) throw new ShapeError(node.name, `weight scales of shape [${w[0]}]`, s);
    return conv2d.inferShapes(node, b ? [x, w, b] : [x, w]);
  },
  cost(node, [x, w], outputs) {
    return conv2d.cost(node, [x, w], outputs);
  },
  reference(node, [x, w, wScale, b], [y]) {
    const a = node.attrs as QConv2dAttrs;
    // The integers as float64 (exact): x's grid steps from its zero point, then conv2d's own
    // reference (im2col, float64 sums: exact for integers below 2^53) with the int32 bias.
    const q = quantizeToGrid(x.data, a.xScale, a.xZeroPoint, a.xType);
    const { bias, multiplier } = qconvChannels(a, wScale.data, b?.data);
    const acc = new Float64Array(y.data.length);
    const asConv = { ...node, op: 'conv2d', attrs: { ...windowAttrs(node), groups: a.groups } } as Node;
    conv2d.reference(asConv, [view(x.shape, q), w, view([bias.length], Float64Array.from(bias))], [view(y.shape, acc)]);
    const [lo, hi] = qconvBounds(a);
    const M = multiplier.length;
    const plane = y.data.length / (y.shape[0] * M);
    for (let i = 0; i < acc.length; i++) {
      const v = Math.fround(Math.fround(acc[i]) * multiplier[Math.floor(i / plane) % M]);
      const r = roundHalfEven(v);
      // + 0: a step of 0 is +0, never -0 (DequantizeLinear's (q - zero point) * scale).
      y.data[i] = Math.fround(((r < lo ? lo : r > hi ? hi : r) + 0) * a.yScale);
    }
  },
};

/** A float64 array passed where a kernel takes a view (the reference conv reads and writes numbers). */
const view = (shape: readonly number[], data: Float64Array): TensorView => ({ shape, data: data as unknown as Float32Array });

/** x's grid steps from the zero point: clamp(round(x / scale) + zp, type range) - zp, NaN at the lowest. */
export function quantizeToGrid(x: ArrayLike<number>, scale: number, zeroPoint: number, type: 'int8' | 'uint8'): Float64Array {
  const lo = QDQ_RANGE[type][0] - zeroPoint;
  const hi = lo + 255;
  const q = new Float64Array(x.length);
  for (let i = 0; i < q.length; i++) {
    const r = roundHalfEven(Math.fround(x[i] / scale));
    q[i] = r >= lo && r <= hi ? r : r > hi ? hi : lo;
  }
  return q;
}

/**
 * Per output channel: the int32 bias (bias / (xScale * wScale), rounded to even; 0 without a
 * bias) and the requantization multiplier xScale * wScale / yScale, each step in float32 as
 * onnxruntime computes them.
 */
export function qconvChannels(a: QConv2dAttrs, wScale: ArrayLike<number>, bias?: ArrayLike<number>): { bias: Int32Array; multiplier: Float32Array } {
  const M = wScale.length;
  const out = { bias: new Int32Array(M), multiplier: new Float32Array(M) };
  for (let m = 0; m < M; m++) {
    const s = Math.fround(a.xScale * wScale[m]);
    out.multiplier[m] = Math.fround(s / a.yScale);
    if (bias) {
      const v = roundHalfEven(Math.fround(bias[m] / s));
      out.bias[m] = Number.isFinite(v) ? Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, v)) : 0;
    }
  }
  return out;
}

/** The output's lowest and highest grid steps from its zero point: the type's range, narrowed by ReLU or Clip. */
export function qconvBounds(a: QConv2dAttrs): [number, number] {
  let lo: number = QDQ_RANGE[a.yType][0] - a.yZeroPoint;
  let hi = lo + 255;
  const act = a.activation;
  if (act?.op === 'relu') lo = Math.max(lo, 0);
  if (act?.op === 'clip') {
    lo = Math.min(hi, Math.max(lo, roundHalfEven(Math.fround(act.min / a.yScale))));
    hi = Math.max(lo, Math.min(hi, roundHalfEven(Math.fround(act.max / a.yScale))));
  }
  return [lo, hi];
}

/**
 * Whether a depthwise qconv2d (one input channel a group) can run as integers on float32
 * lanes, exactly: every partial sum, the int32 bias included, below 2^24 in magnitude,
 * |bias| + KH KW 128 255 (|xq - zero point| <= 255, |w| <= 128). The wasm backend then runs
 * it on its float32 depthwise kernel's int8 path (assembly/dwconv.ts), WebGPU on its float32
 * direct conv (kernels/qconv2d.wgsl); otherwise, and every other qconv2d, on integer kernels.
 */
export function qconvDepthwise(node: NodeOf<'qconv2d'>, graph: Graph): boolean {
  const [M, Cg, KH, KW] = graph.shape(node.inputs[1]);
  const C = graph.shape(node.inputs[0])[1];
  if (Cg !== 1 || node.attrs.groups !== C || C === 1 || M % C !== 0) return false;
  const [, , wScale, b] = node.inputs;
  const { bias } = qconvChannels(node.attrs, graph.weight(wScale), b ? graph.weight(b) : undefined);
  const most = bias.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
  return most + KH * KW * 128 * 255 < 2 ** 24;
}

import { AttributeError } from '../graph/errors.js';
import type { Node, Shape } from '../graph/graph.js';
import type { OpAttrs } from './attrs.js';
import { activationFn } from './fused-activation.js';
import { erf as erf64 } from './erf.js';
import { elements, numAttr, type OpDef } from './op.js';

/** The unary ops added for lightweight CNNs (issue 13): MobileNetV3, EfficientNet, ConvNeXt. */
export type UnaryMathOp = 'hardsigmoid' | 'hardswish' | 'silu' | 'gelu' | 'erf' | 'sqrt' | 'qdq';

/** A unary elementwise op on a tensor of any rank, its kernel a scalar function. */
function unary<T extends 'relu' | 'clip' | 'leakyrelu' | 'tanh' | 'sigmoid' | 'dropout' | 'identity' | UnaryMathOp>(
  type: T,
  flopsPerElement: number,
  fn: (node: Node) => (v: number) => number,
  attrs: (node: Node) => OpAttrs[T] = () => ({}) as OpAttrs[T],
): OpDef<T> {
  return {
    type,
    arity: [1, 1],
    elementwise: true,
    inplace: true,
    attrs,
    inferShapes: (_node, [x]) => [x],
    cost: (_node, _in, [y]: readonly Shape[]) => ({ macs: 0, flops: 0, elementwiseFlops: flopsPerElement * elements(y) }),
    reference(node, [x], [y]) {
      const f = fn(node);
      for (let i = 0; i < x.data.length; i++) y.data[i] = f(x.data[i]);
    },
  };
}

// relu, clip and leakyrelu apply the same scalar rule as a conv/fc epilogue that fuses them
// (activationFn): NaN passes through each, as in PyTorch and ONNX.

/** max(x, 0), NaN kept. */
export const relu = unary('relu', 1, () => activationFn({ op: 'relu' }));

/** min(max(x, min), max), NaN kept; ReLU6 is clip(0, 6). */
export const clip = unary(
  'clip',
  1,
  (node) => {
    const { min, max } = node.attrs as { min: number; max: number };
    return activationFn({ op: 'clip', min, max });
  },
  (node) => {
    const { min, max } = node.attrs as { min?: unknown; max?: unknown };
    if (typeof min !== 'number' || typeof max !== 'number' || Number.isNaN(min) || Number.isNaN(max) || min > max) {
      throw new AttributeError(node.name, 'min/max', 'two numbers with min <= max', [min, max]);
    }
    return { min, max };
  },
);

/** x for x >= 0, alpha * x otherwise. */
export const leakyrelu = unary(
  'leakyrelu',
  1,
  (node) => {
    const alpha = (node.attrs as { alpha: number }).alpha;
    return activationFn({ op: 'leakyrelu', alpha });
  },
  (node) => ({ alpha: numAttr(node, 'alpha', () => true, 'a finite number') }),
);

/** Hyperbolic tangent (LeNet-5): tanh(+-inf) = +-1, tanh(NaN) = NaN. */
export const tanh = unary('tanh', 1, () => Math.tanh);

/** Logistic sigmoid: sigmoid(-inf) = 0, sigmoid(inf) = 1, sigmoid(NaN) = NaN (as PyTorch). */
export const sigmoid = unary('sigmoid', 1, () => (v) => 1 / (1 + Math.exp(-v)));

/** Dropout is the identity at inference: no work, removed by the planner. */
export const dropout = unary('dropout', 0, () => (v) => v);

/** The identity (ONNX Identity), removed by the planner. */
export const identity = unary('identity', 0, () => (v) => v);

// MobileNetV3 (hardsigmoid, hardswish), EfficientNet (silu), ConvNeXt (gelu, and erf / sqrt
// as plain ops). hardsigmoid, hardswish and silu are also conv / fc epilogues: one rule each,
// activationFn's. Elementwise FLOPs count the arithmetic of the formula, as for the others.

/** max(0, min(1, alpha * x + beta)) (ONNX HardSigmoid: alpha 0.2, beta 0.5 by default; torch's 1/6, 1/2). */
export const hardsigmoid = unary(
  'hardsigmoid',
  2,
  (node) => {
    const { alpha, beta } = node.attrs as { alpha: number; beta: number };
    return activationFn({ op: 'hardsigmoid', alpha, beta });
  },
  (node) => ({ alpha: numAttr(node, 'alpha', () => true, 'a finite number'), beta: numAttr(node, 'beta', () => true, 'a finite number') }),
);

/** x * hardsigmoid(x; 1/6, 1/2) (ONNX HardSwish; torch's nn.Hardswish): NaN at -inf, as PyTorch. */
export const hardswish = unary('hardswish', 3, () => activationFn({ op: 'hardswish' }));

/** x * sigmoid(x) (torch's nn.SiLU, exported as Mul(x, Sigmoid(x))): NaN at -inf, as PyTorch. */
export const silu = unary('silu', 3, () => activationFn({ op: 'silu' }));

/** x / 2 * (1 + erf(x / sqrt 2)) (torch's exact nn.GELU): NaN at -inf, as PyTorch. */
export const gelu = unary('gelu', 4, () => activationFn({ op: 'gelu' }));

/** The error function (ONNX Erf): erf(+-inf) = +-1. */
export const erf = unary('erf', 1, () => erf64);

/** The square root (ONNX Sqrt): NaN below 0, sqrt(-0) = -0. */
export const sqrt = unary('sqrt', 1, () => Math.sqrt);

/** The integer range of an 8-bit type. */
export const QDQ_RANGE = { int8: [-128, 127], uint8: [0, 255] } as const;

/**
 * The kernels' two arguments of a qdq node: the scale, and the lowest grid step below zero
 * the type holds (qmin - zeroPoint; the highest is 255 steps above it).
 */
export function qdqArgs(a: OpAttrs['qdq']): [number, number] {
  return [a.scale, QDQ_RANGE[a.type][0] - a.zeroPoint];
}

/**
 * Round half to even (ONNX QuantizeLinear's rounding; wasm's f32x4.nearest and WGSL's
 * round do the same).
 */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The quantization grid in float (ONNX QuantizeLinear -> DequantizeLinear, per tensor):
 * y = scale * clamp(round(x / scale), qmin - zp, qmax - zp), which equals
 * (clamp(round(x / scale) + zp, qmin, qmax) - zp) * scale. The division and the product are
 * float32's (the division correctly rounded, as onnxruntime's); ties round to even; +-inf
 * saturate; NaN gives the lowest value (onnxruntime on x86 clamps NaN to qmin as well).
 * An op of its own so that a quantized model's rounding happens where the file says,
 * between float kernels, until int8 kernels run those spans.
 */
export const qdq = unary(
  'qdq',
  4,
  (node) => {
    const [scale, lo] = qdqArgs(node.attrs as OpAttrs['qdq']);
    const hi = lo + 255;
    return (v) => {
      const q = roundHalfEven(Math.fround(v / scale));
      return Math.fround((q >= lo && q <= hi ? q : q > hi ? hi : lo) * scale);
    };
  },
  (node) => {
    const { type, zeroPoint } = node.attrs as { type?: unknown; zeroPoint?: unknown };
    if (type !== 'int8' && type !== 'uint8') throw new AttributeError(node.name, 'type', "'int8' or 'uint8'", type);
    const [qmin, qmax] = QDQ_RANGE[type];
    const scale = numAttr(node, 'scale', (v) => v > 0 && Number.isFinite(Math.fround(v)) && Math.fround(v) > 0, 'a positive finite float32');
    if (typeof zeroPoint !== 'number' || !Number.isInteger(zeroPoint) || zeroPoint < qmin || zeroPoint > qmax) {
      throw new AttributeError(node.name, 'zeroPoint', `an integer in [${qmin}, ${qmax}] (${type})`, zeroPoint);
    }
    return { scale: Math.fround(scale), zeroPoint, type };
  },
);

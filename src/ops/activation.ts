import { AttributeError } from '../graph/errors.js';
import type { Node, Shape } from '../graph/graph.js';
import type { OpAttrs } from './attrs.js';
import { activationFn } from './fused-activation.js';
import { erf as erf64 } from './erf.js';
import { elements, numAttr, type OpDef } from './op.js';

/** The unary ops added for lightweight CNNs (issue 13): MobileNetV3, EfficientNet, ConvNeXt. */
export type UnaryMathOp = 'hardsigmoid' | 'hardswish' | 'silu' | 'gelu' | 'erf' | 'sqrt';

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

/** Relu, Sigmoid, Tanh, LeakyRelu, Clip, Softmax, HardSigmoid, HardSwish, Erf and Sqrt: one IR op each on a runtime tensor. */
import type { OpType } from '../../graph/graph.js';
import * as fold from '../fold.js';
import { spec, type OpHandler, type Step } from '../step.js';

/** `input` is the name the ONNX docs give the op's one input (X or input). */
function unary(op: OpType, input: string, attrs: (s: Step) => Record<string, unknown> = () => ({})): OpHandler {
  return {
    inputs: () => spec(input),
    run: (s) => s.emit(op, [s.input(0)], attrs(s)),
  };
}

export const relu = unary('relu', 'X');
export const sigmoid = unary('sigmoid', 'X');
export const tanh = unary('tanh', 'input');
export const leakyRelu = unary('leakyrelu', 'X', (s) => ({ alpha: s.attrs.float('alpha', 0.01) }));

/** A bound of Clip (opset 11+): absent ('' or missing) means unbounded. */
function clipBound(s: Step, i: number, unbounded: number): number | undefined {
  if (!s.has(i)) return unbounded;
  if (!s.isConst(i)) return undefined;
  return fold.scalarValue(s.konst(i), `${s.where}, input '${s.input(i)}'`);
}

export const clip: OpHandler = {
  inputs: (opset) => (opset < 11 ? spec('input') : spec('input min max', 1)),
  run: (s) => {
    const min = s.opset < 11 ? s.attrs.float('min', -Infinity) : clipBound(s, 1, -Infinity);
    const max = s.opset < 11 ? s.attrs.float('max', Infinity) : clipBound(s, 2, Infinity);
    if (min === undefined || max === undefined) return s.unsupported('Clip with computed bounds');
    s.emit('clip', [s.input(0)], { min, max });
  },
};

export const softmax: OpHandler = {
  inputs: () => spec('input'),
  run: (s) => {
    const rank = s.shape(0).length;
    const axis = fold.normAxis(s.attrs.int('axis', s.opset < 13 ? 1 : -1), Math.max(rank, 1), s.where);
    // Before opset 13 Softmax flattened the input to 2-D at `axis` and normalised rows.
    s.emit('softmax', [s.input(0)], { axis, coerce2d: s.opset < 13 });
  },
};

export const hardSigmoid = unary('hardsigmoid', 'X', (s) => ({ alpha: s.attrs.float('alpha', 0.2), beta: s.attrs.float('beta', 0.5) }));
export const hardSwish = unary('hardswish', 'X');
export const erf = unary('erf', 'input');
export const sqrt = unary('sqrt', 'X');

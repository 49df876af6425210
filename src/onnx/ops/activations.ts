/** Relu, Sigmoid, Tanh, LeakyRelu, Clip, Softmax, HardSigmoid, HardSwish, Erf, Sqrt and Gelu: one IR op each on a runtime tensor (Gelu 'tanh': the ops of its ONNX function body). */
import type { OpType } from '../../graph/graph.js';
import { nodeLabel } from '../attributes.js';
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

/**
 * Gelu (opset 20). approximate 'none' is the IR gelu (the Erf form, which torch's opset-13
 * exports spell as an Erf chain). 'tanh', 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), is
 * imported as the IR ops of ONNX's own function body for it (mul, add, tanh: run by every
 * backend), not as the Erf form, from which it differs by up to about 5e-4.
 */
export const gelu: OpHandler = {
  inputs: () => spec('X'),
  run: (s) => {
    const approximate = s.attrs.string('approximate', 'none');
    if (approximate === 'none') return s.emit('gelu', [s.input(0)], {});
    if (approximate !== 'tanh') return s.invalid(`attribute 'approximate' must be 'none' or 'tanh', found '${approximate}'`);
    const label = nodeLabel(s.msg);
    const x = s.input(0);
    const scalar = (base: string, v: number) => s.im.addInit(`${label}.${base}`, [], Float32Array.of(v), false);
    const node = (base: string, op: OpType, inputs: string[], out = s.im.freshTensorName(`${label}.${base}`)) => {
      s.im.addNode(base ? `${label}.${base}` : label, op, inputs, out, {}, [], s.where);
      return out;
    };
    // sqrt(2/pi) (x + 0.044715 x^3) as x (sqrt(2/pi) + 0.044715 sqrt(2/pi) x^2): one multiply fewer.
    const k = Math.sqrt(2 / Math.PI);
    const square = node('square', 'mul', [x, x]);
    const cubic = node('cubic', 'mul', [square, scalar('kappa', 0.044715 * k)]);
    const slope = node('slope', 'add', [cubic, scalar('beta', k)]);
    const inner = node('inner', 'mul', [slope, x]);
    const t = node('tanh', 'tanh', [inner]);
    const onePlus = node('one_plus', 'add', [t, scalar('one', 1)]);
    const scaled = node('times_x', 'mul', [onePlus, x]);
    node('', 'mul', [scaled, scalar('half', 0.5)], s.msg.output[0]);
  },
};

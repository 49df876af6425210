/** LRN and BatchNormalization (inference only; the statistics become frozen initializers). */
import { spec, type OpHandler } from '../step.js';
import { nchwInput } from './conv-pool.js';

export const lrn: OpHandler = {
  inputs: () => spec('X'),
  run: (s) => {
    if (!nchwInput(s)) return;
    const size = s.attrs.int('size');
    if (size === undefined) return s.invalid("attribute 'size' is required");
    const attrs = { size, alpha: s.attrs.float('alpha', 1e-4), beta: s.attrs.float('beta', 0.75), bias: s.attrs.float('bias', 1) };
    s.emit('lrn', [s.input(0)], attrs);
  },
};

export const batchnorm: OpHandler = {
  inputs: (opset) => spec(opset < 14 ? 'X scale B mean var' : 'X scale B input_mean input_var'),
  run: (s) => {
    if (s.attrs.int('training_mode', 0) === 1) return s.unsupported('BatchNormalization training_mode=1');
    if (s.msg.output.some((_, k) => k > 0 && s.outputUsed(k))) return s.unsupported('BatchNormalization training outputs');
    if (s.opset < 7 && s.attrs.int('is_test', 0) === 0) return s.unsupported('BatchNormalization is_test=0 (training)');
    if (s.opset < 9 && s.attrs.int('spatial', 1) === 0) return s.unsupported('BatchNormalization spatial=0');
    s.emit('batchnorm', s.msg.input.slice(0, 5), { epsilon: s.attrs.float('epsilon', 1e-5) }, [3, 4]);
  },
};

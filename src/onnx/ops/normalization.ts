/** LRN, BatchNormalization (inference only; the statistics become frozen initializers) and LayerNormalization. */
import type { OpType } from '../../graph/graph.js';
import { nodeLabel } from '../attributes.js';
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

/** LayerNormalization (opset 17): normalises every axis from `axis` on. */
export const layerNormalization: OpHandler = {
  inputs: () => spec('X Scale B', 2),
  run: (s) => {
    const x = s.shape(0);
    const axis = s.attrs.int('axis', -1);
    const resolved = axis < 0 ? axis + x.length : axis;
    if (resolved < 0 || resolved >= x.length) return s.invalid(`axis ${axis} is out of range for rank ${x.length}`);
    const epsilon = s.attrs.float('epsilon', 1e-5);
    const inputs = s.has(2) ? [s.input(0), s.input(1), s.input(2)] : [s.input(0), s.input(1)];
    if (!s.msg.output.some((_, k) => k > 0 && s.outputUsed(k))) return s.emit('layernorm', inputs, { axis: resolved, count: 0, epsilon });
    // The training outputs Mean and InvStdDev (the conformance tests read them): computed beside
    // the fused op, as the reductions ONNX's function body defines, kept dims of size 1.
    const label = nodeLabel(s.msg);
    const axes = x.slice(resolved).map((_, k) => resolved + k);
    const tensor = (k: number, base: string) => (s.outputUsed(k) ? s.msg.output[k] : s.im.freshTensorName(`${label}.${base}`));
    const add = (base: string, op: OpType, ins: string[], out: string, attrs: Record<string, unknown> = {}) => s.im.addNode(`${label}.${base}`, op, ins, out, attrs, [], s.where);
    s.im.addNode(label, 'layernorm', inputs, s.msg.output[0], { axis: resolved, count: 0, epsilon }, [], s.where);
    const mean = tensor(1, 'mean');
    add('mean', 'reducemean', [s.input(0)], mean, { axes, keepdims: true });
    if (!s.outputUsed(2)) return;
    const centred = s.im.freshTensorName(`${label}.centred`);
    add('centred', 'sub', [s.input(0), mean], centred);
    const squared = s.im.freshTensorName(`${label}.squared`);
    add('squared', 'mul', [centred, centred], squared);
    const variance = s.im.freshTensorName(`${label}.variance`);
    add('variance', 'reducemean', [squared], variance, { axes, keepdims: true });
    const shifted = s.im.freshTensorName(`${label}.shifted`);
    add('shifted', 'add', [variance, s.im.addInit(`${label}.epsilon`, [1], Float32Array.of(epsilon), false)], shifted);
    const std = s.im.freshTensorName(`${label}.std`);
    add('std', 'sqrt', [shifted], std);
    add('inv_std', 'div', [s.im.addInit(`${label}.one`, [1], Float32Array.of(1), false), std], s.msg.output[2]);
  },
};

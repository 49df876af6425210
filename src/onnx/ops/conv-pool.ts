/** Conv, MaxPool / AveragePool and the global pools: 2-D window ops on N x C x H x W. */
import { spec, type OpHandler, type Step } from '../step.js';

/** kernel / stride / pads / dilation of a 2-D window, auto_pad resolved against the input. */
function window2d(s: Step, input: readonly number[], kernel: number[]) {
  const stride = s.attrs.ints('strides', [1, 1]);
  const dilation = s.attrs.ints('dilations', [1, 1]);
  if (kernel.length !== 2 || stride.length !== 2 || dilation.length !== 2) {
    s.invalid(`kernel_shape, strides and dilations must have 2 values for a 2-D input, found [${kernel}], [${stride}], [${dilation}]`);
  }
  const mode = s.attrs.string('auto_pad', 'NOTSET');
  let pads: number[];
  if (mode === 'NOTSET') {
    pads = s.attrs.ints('pads', [0, 0, 0, 0]);
    if (pads.length !== 4) s.invalid(`pads must have 4 values (top, left, bottom, right), found [${pads}]`);
  } else if (mode === 'VALID') {
    pads = [0, 0, 0, 0];
  } else if (mode === 'SAME_UPPER' || mode === 'SAME_LOWER') {
    // Output ceil(in / stride); the odd pad goes at the end (UPPER) or the beginning (LOWER).
    pads = [0, 0, 0, 0];
    for (let i = 0; i < 2; i++) {
      const size = input[2 + i];
      const out = Math.ceil(size / stride[i]);
      const total = Math.max(0, (out - 1) * stride[i] + (kernel[i] - 1) * dilation[i] + 1 - size);
      const half = Math.floor(total / 2);
      pads[i] = mode === 'SAME_UPPER' ? half : total - half;
      pads[i + 2] = total - pads[i];
    }
  } else {
    return s.invalid(`auto_pad must be NOTSET, SAME_UPPER, SAME_LOWER or VALID, found '${mode}'`);
  }
  return { kernel, stride, pads, dilation };
}

/**
 * The shape of input 0 of a conv, pool or LRN node when it is 4-D (N x C x H x W), all
 * webconv runs. ONNX defines these ops on N x C x D1 x ... x Dn, n >= 1: a lower rank is
 * an invalid model; a 1-D or 3-D one is valid and is marked unsupported (undefined).
 */
export function nchwInput(s: Step): readonly number[] | undefined {
  const x = s.shape(0);
  const op = s.msg.op_type;
  if (x.length < 3) {
    return s.invalid(
      `input 0 (X) '${s.input(0)}' has shape [${x.join(', ')}] (rank ${x.length}), but ${op} needs a 4-D N x C x H x W input ` +
        `(ONNX defines ${op} on N x C x D1 x ... x Dn, rank 3 or more)`,
    );
  }
  if (x.length !== 4) {
    s.unsupported(`${op} ${x.length - 2}-D`);
    return undefined;
  }
  return x;
}

/**
 * The conv2d attributes of a Conv (or QLinearConv) node, its input 0 the data and input `wAt`
 * the weight; undefined when the node is marked unsupported (not 2-D).
 */
export function convAttrs(s: Step, wAt: number): Record<string, unknown> | undefined {
  const x = nchwInput(s);
  if (!x) return undefined;
  const w = s.shape(wAt);
  if (w.length !== x.length) {
    return s.invalid(
      `input ${wAt} (W) '${s.input(wAt)}' has shape [${w.join(', ')}] (rank ${w.length}), but a ${s.msg.op_type} of the rank-${x.length} input ` +
        `'${s.input(0)}' needs a rank-${x.length} weight (M x C/group x kH x kW)`,
    );
  }
  return { ...window2d(s, x, s.attrs.ints('kernel_shape') ?? w.slice(2)), groups: s.attrs.int('group', 1) };
}

export const conv: OpHandler = {
  inputs: () => spec('X W B', 2),
  run: (s) => {
    const attrs = convAttrs(s, 1);
    if (!attrs) return;
    const inputs = s.has(2) ? [s.input(0), s.input(1), s.input(2)] : [s.input(0), s.input(1)];
    s.emit('conv2d', inputs, attrs);
  },
};

function pool(op: 'maxpool' | 'avgpool'): OpHandler {
  return {
    inputs: () => spec('X'),
    run: (s) => {
      const x = nchwInput(s);
      if (!x) return;
      if (op === 'maxpool') {
        if (s.outputUsed(1)) return s.unsupported('MaxPool Indices output');
        if (s.attrs.int('storage_order', 0) === 1) return s.unsupported('MaxPool storage_order=1');
      }
      const kernel = s.attrs.ints('kernel_shape');
      if (!kernel) return s.invalid("attribute 'kernel_shape' is required");
      const attrs: Record<string, unknown> = { ...window2d(s, x, kernel), ceilMode: s.attrs.int('ceil_mode', 0) === 1 };
      if (op === 'avgpool') attrs.countIncludePad = s.attrs.int('count_include_pad', 0) === 1;
      s.emit(op, [s.input(0)], attrs);
    },
  };
}

function globalPool(op: 'globalavgpool' | 'globalmaxpool'): OpHandler {
  return {
    inputs: () => spec('X'),
    run: (s) => {
      if (!nchwInput(s)) return;
      s.emit(op, [s.input(0)], {});
    },
  };
}

export const maxPool = pool('maxpool');
export const averagePool = pool('avgpool');
export const globalAveragePool = globalPool('globalavgpool');
export const globalMaxPool = globalPool('globalmaxpool');

import { AttributeError, ShapeError } from '../graph/errors.js';
import { elements, expectNCHW, intAttr, type OpDef } from './op.js';
import { windowAttrs, windowOutput } from './window.js';

/**
 * conv2d. Inputs: x [N, Cin, H, W], weight [Cout, Cin/groups, kh, kw], optional bias
 * [Cout]. Attributes: kernel, stride, pads (top, left, bottom, right), dilation, groups.
 */
export const conv2d: OpDef = {
  type: 'conv2d',
  arity: [2, 3],
  elementwise: false,
  inplace: false,
  validate(node) {
    windowAttrs(node);
    intAttr(node, 'groups', 1);
  },
  inferShapes(node, [x, w, b]) {
    const [n, cin, h, wd] = expectNCHW(node, x);
    const a = windowAttrs(node);
    const groups = intAttr(node, 'groups', 1);
    if (w.length !== 4) throw new ShapeError(node.name, 'weight of shape [Cout, Cin/groups, kh, kw]', w);
    const [cout, cinPerGroup, kh, kw] = w;
    if (kh !== a.kernel[0] || kw !== a.kernel[1]) {
      throw new ShapeError(node.name, `weight kernel ${a.kernel[0]}x${a.kernel[1]}`, `${kh}x${kw}`, 'kernel');
    }
    if (cin % groups !== 0 || cout % groups !== 0) {
      throw new AttributeError(node.name, 'groups', `a divisor of input channels ${cin} and output channels ${cout}`, groups);
    }
    if (cinPerGroup * groups !== cin) {
      throw new ShapeError(node.name, `input channels ${cinPerGroup * groups} (weight expects ${cinPerGroup} per group x ${groups} groups)`, cin);
    }
    if (b && (b.length !== 1 || b[0] !== cout)) throw new ShapeError(node.name, `bias of shape [${cout}]`, b);
    const [oh, ow] = windowOutput(node, a, h, wd);
    return [[n, cout, oh, ow]];
  },
  cost(node, [, w], [y]) {
    const perOutput = w[1] * w[2] * w[3]; // kh*kw*Cin/groups
    const macs = elements(y) * perOutput;
    return { macs, flops: 2 * macs, elementwiseFlops: 0 };
  },
};


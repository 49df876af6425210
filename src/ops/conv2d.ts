import { AttributeError, ShapeError } from '../graph/errors.js';
import { activationFn, fusedActivation } from './fused-activation.js';
import { elements, expectNCHW, intAttr, type OpDef } from './op.js';
import { windowAttrs, windowOutput } from './window.js';

/**
 * conv2d. Inputs: x [N, Cin, H, W], weight [Cout, Cin/groups, kh, kw], optional bias
 * [Cout], optional residual (the planner's fused residual add, same shape as the output).
 * Attributes: kernel, stride, pads (top, left, bottom, right), dilation, groups, and
 * `activation` when the planner fused one into the epilogue (applied after the residual).
 */
export const conv2d: OpDef = {
  type: 'conv2d',
  arity: [2, 4],
  elementwise: false,
  inplace: false,
  validate(node) {
    windowAttrs(node);
    intAttr(node, 'groups', 1);
    fusedActivation(node);
  },
  inferShapes(node, [x, w, b, r]) {
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
    const out = [n, cout, oh, ow];
    if (r && (r.length !== 4 || r.some((d, i) => d !== out[i]))) throw new ShapeError(node.name, `residual of shape [${out.join(', ')}]`, r);
    return [out];
  },
  cost(node, [, w, , r], [y]) {
    const perOutput = w[1] * w[2] * w[3]; // kh*kw*Cin/groups
    const macs = elements(y) * perOutput;
    const epilogue = (fusedActivation(node) ? 1 : 0) + (r ? 1 : 0);
    return { macs, flops: 2 * macs, elementwiseFlops: epilogue * elements(y) };
  },
  reference(node, [x, w, b, r], [y]) {
    const { stride, pads, dilation } = windowAttrs(node);
    const groups = intAttr(node, 'groups', 1);
    const act = activationFn(fusedActivation(node));
    const [N, C, H, W] = x.shape;
    const [M, Cg, KH, KW] = w.shape;
    const [, , OH, OW] = y.shape;
    const Mg = M / groups;
    const [sh, sw] = stride;
    const [dh, dw] = dilation;
    const [xd, wd, yd] = [x.data, w.data, y.data];
    // A direct convolution: for each output channel, add weight x shifted input row into a
    // float64 output plane. The valid output columns of each tap are computed up front, so
    // the inner loop has no bounds test. Padding is zeros times the weight, as ONNX defines
    // it (pad, then convolve): a NaN or infinite weight makes its padded taps NaN too.
    const acc = new Float64Array(OH * OW);
    for (let n = 0; n < N; n++) {
      for (let m = 0; m < M; m++) {
        acc.fill(b ? b.data[m] : 0);
        const g = Math.floor(m / Mg);
        for (let c = 0; c < Cg; c++) {
          const xPlane = (n * C + g * Cg + c) * H * W;
          for (let i = 0; i < KH; i++) {
            for (let j = 0; j < KW; j++) {
              const wv = wd[((m * Cg + c) * KH + i) * KW + j];
              const shift = j * dw - pads[1]; // iw = ow * sw + shift
              const ow0 = Math.max(0, Math.ceil(-shift / sw));
              const ow1 = Math.min(OW, Math.floor((W - 1 - shift) / sw) + 1);
              const padded = Number.isFinite(wv) ? 0 : 0 * wv; // NaN for a non-finite weight
              for (let oh = 0; oh < OH; oh++) {
                const ih = oh * sh - pads[0] + i * dh;
                const aRow = oh * OW;
                if (ih < 0 || ih >= H) {
                  if (padded !== 0) for (let ow = 0; ow < OW; ow++) acc[aRow + ow] += padded;
                  continue;
                }
                const xRow = xPlane + ih * W + shift;
                for (let ow = ow0; ow < ow1; ow++) acc[aRow + ow] += wv * xd[xRow + ow * sw];
                if (padded !== 0) {
                  for (let ow = 0; ow < Math.min(ow0, OW); ow++) acc[aRow + ow] += padded;
                  for (let ow = Math.max(ow1, 0); ow < OW; ow++) acc[aRow + ow] += padded;
                }
              }
            }
          }
        }
        const yPlane = (n * M + m) * OH * OW;
        for (let k = 0; k < OH * OW; k++) yd[yPlane + k] = act(acc[k] + (r ? r.data[yPlane + k] : 0));
      }
    }
  },
};


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
export const conv2d: OpDef<'conv2d'> = {
  type: 'conv2d',
  arity: [2, 4],
  elementwise: false,
  inplace: false,
  attrs(node) {
    const activation = fusedActivation(node);
    const groups = (node.attrs as { groups?: unknown }).groups === undefined ? 1 : intAttr(node, 'groups', 1);
    return { ...windowAttrs(node), groups, ...(activation ? { activation } : {}) };
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
    const [xd, yd] = [x.data, y.data];
    const wd = Float64Array.from(w.data); // the weights as float64 once, not at every multiply
    // im2col, then a matrix product accumulated in float64. For one image, one group and a
    // block of at most P output pixels, `col` holds each pixel's K = Cg*kh*kw input taps in
    // the weight's (c, i, j) order: col[p*K + k]. A tap in the padding is an explicit 0,
    // so padding is zeros times the weight, as ONNX defines it (pad, then convolve): a NaN
    // or infinite weight makes its padded taps NaN too. Each output is then
    // bias + sum over k = 0..K-1 of weight[m, k] * col[p, k], added in ascending k: the
    // same terms in the same order as a direct convolution.
    const K = Cg * KH * KW;
    const OHW = OH * OW;
    const P = Math.max(1, Math.min(OHW, Math.floor(COL_BLOCK_ELEMENTS / K)));
    const col = new Float64Array(P * K);
    const acc = new Float64Array(Mg * P); // acc[m*P + p], m within the group
    for (let n = 0; n < N; n++) {
      for (let g = 0; g < groups; g++) {
        const xImage = (n * C + g * Cg) * H * W; // channel c of the group at xImage + c*H*W
        const wGroup = g * Mg * K; // weight row m of the group at wGroup + m*K
        for (let p0 = 0; p0 < OHW; p0 += P) {
          const np = Math.min(P, OHW - p0);
          for (let p = 0; p < np; p++) {
            const oh = Math.floor((p0 + p) / OW);
            const ow = (p0 + p) % OW;
            let k = p * K;
            for (let c = 0; c < Cg; c++) {
              for (let i = 0; i < KH; i++) {
                const ih = oh * sh - pads[0] + i * dh;
                for (let j = 0; j < KW; j++) {
                  const iw = ow * sw - pads[1] + j * dw;
                  col[k++] = ih >= 0 && ih < H && iw >= 0 && iw < W ? xd[xImage + (c * H + ih) * W + iw] : 0;
                }
              }
            }
          }
          for (let m = 0; m < Mg; m++) acc.fill(b ? b.data[g * Mg + m] : 0, m * P, m * P + np);
          matmulAccumulate(wd, wGroup, col, acc, Mg, np, K, P);
          for (let m = 0; m < Mg; m++) {
            const yPlane = (n * M + g * Mg + m) * OHW + p0;
            for (let p = 0; p < np; p++) yd[yPlane + p] = act(acc[m * P + p] + (r ? r.data[yPlane + p] : 0));
          }
        }
      }
    }
  },
};


/** The im2col block's size in elements (float64): 64K, 512 KiB, to stay in a core's L2. */
const COL_BLOCK_ELEMENTS = 1 << 16;

/**
 * acc[m*P + p] += sum over k = 0..K-1, in ascending k, of w[w0 + m*K + k] * col[p*K + k],
 * for m < rows and p < cols: a product of two row-major matrices that share their inner
 * dimension. Four weight rows and two pixels at a time (eight float64 sums held in
 * locals, each loaded weight and tap used by several of them), then the leftover pixel
 * and rows one at a time; every sum still adds its K terms one by one in ascending k.
 */
function matmulAccumulate(w: Float64Array, w0: number, col: Float64Array, acc: Float64Array, rows: number, cols: number, K: number, P: number): void {
  let m = 0;
  for (; m + 4 <= rows; m += 4) {
    const r0 = w0 + m * K;
    const r1 = r0 + K, r2 = r1 + K, r3 = r2 + K;
    const a0 = m * P, a1 = a0 + P, a2 = a1 + P, a3 = a2 + P;
    let p = 0;
    for (; p + 2 <= cols; p += 2) {
      const c0 = p * K;
      const c1 = c0 + K;
      let s00 = acc[a0 + p], s01 = acc[a0 + p + 1];
      let s10 = acc[a1 + p], s11 = acc[a1 + p + 1];
      let s20 = acc[a2 + p], s21 = acc[a2 + p + 1];
      let s30 = acc[a3 + p], s31 = acc[a3 + p + 1];
      for (let k = 0; k < K; k++) {
        const x0 = col[c0 + k];
        const x1 = col[c1 + k];
        const w0k = w[r0 + k], w1k = w[r1 + k], w2k = w[r2 + k], w3k = w[r3 + k];
        s00 += w0k * x0; s01 += w0k * x1;
        s10 += w1k * x0; s11 += w1k * x1;
        s20 += w2k * x0; s21 += w2k * x1;
        s30 += w3k * x0; s31 += w3k * x1;
      }
      acc[a0 + p] = s00; acc[a0 + p + 1] = s01;
      acc[a1 + p] = s10; acc[a1 + p + 1] = s11;
      acc[a2 + p] = s20; acc[a2 + p + 1] = s21;
      acc[a3 + p] = s30; acc[a3 + p + 1] = s31;
    }
    for (; p < cols; p++) {
      const c0 = p * K;
      let s0 = acc[a0 + p], s1 = acc[a1 + p], s2 = acc[a2 + p], s3 = acc[a3 + p];
      for (let k = 0; k < K; k++) {
        const x0 = col[c0 + k];
        s0 += w[r0 + k] * x0;
        s1 += w[r1 + k] * x0;
        s2 += w[r2 + k] * x0;
        s3 += w[r3 + k] * x0;
      }
      acc[a0 + p] = s0; acc[a1 + p] = s1; acc[a2 + p] = s2; acc[a3 + p] = s3;
    }
  }
  for (; m < rows; m++) {
    const r0 = w0 + m * K;
    for (let p = 0; p < cols; p++) {
      const c0 = p * K;
      let s = acc[m * P + p];
      for (let k = 0; k < K; k++) s += w[r0 + k] * col[c0 + k];
      acc[m * P + p] = s;
    }
  }
}

import type { Graph } from '../../../graph/graph.js';
import type { NodeOf } from '../../../ops/attrs.js';
import { qdqArgs } from '../../../ops/activation.js';
import { qconvBounds, qconvChannels, qconvDepthwise } from '../../../ops/qconv2d.js';
import { WORKGROUP_SIZE, type Dispatch, type GpuKernel, type GpuKernelContext } from '../kernel.js';
import { convDispatch } from './conv2d.js';
import { qconv2dParams } from '../params.generated.js';

interface QconvShape {
  N: number; C: number; H: number; W: number; M: number; OH: number; OW: number;
  G: number; Cg: number; Cg4: number; Mg: number; KH: number; KW: number;
}

function qconvShape(node: NodeOf<'qconv2d'>, graph: Graph): QconvShape {
  const [N, C, H, W] = graph.shape(node.inputs[0]);
  const [M, Cg, KH, KW] = graph.shape(node.inputs[1]);
  const [, , OH, OW] = graph.shape(node.outputs[0]);
  const G = node.attrs.groups;
  return { N, C, H, W, M, OH, OW, G, Cg, Cg4: Math.ceil(Cg / 4), Mg: M / G, KH, KW };
}

/** Words of the packed input (kernels/qconv2d.wgsl, stage 0): [N, H, W, G, Cg4]. */
const packedWords = (s: QconvShape) => s.N * s.H * s.W * s.G * s.Cg4;

/** The offset that makes an 8-bit value of x's type a signed byte: 128 for uint8, 0 for int8. */
const byteOffset = (type: 'int8' | 'uint8') => (type === 'uint8' ? 128 : 0);

/**
 * Integer weights [M, Cg, KH, KW] (as floats) packed as kernels/qconv2d.wgsl reads them:
 * [M, KH, KW, Cg4] words of 4 signed bytes, input channels past Cg zero.
 */
export function packQconvWeightsGpu(w: Float32Array, s: QconvShape): Uint32Array {
  const taps = s.KH * s.KW;
  const words = new Uint32Array(s.M * taps * s.Cg4);
  for (let m = 0; m < s.M; m++) {
    for (let c = 0; c < s.Cg; c++) {
      for (let t = 0; t < taps; t++) words[(m * taps + t) * s.Cg4 + (c >> 2)] |= (w[(m * s.Cg + c) * taps + t] & 0xff) << (8 * (c & 3));
    }
  }
  return words;
}

/**
 * qconv2d on WebGPU (kernels/qconv2d.wgsl): x quantized once into packed words in the scratch
 * region, then the convolution on dot4I8Packed (or its unpacked equivalent where the adapter
 * lacks the language feature), requantized as onnxruntime does: the same integers and the
 * same float32 steps as the reference and the wasm kernels.
 */
export const qconv2dKernel: GpuKernel<'qconv2d'> = {
  op: 'qconv2d',
  scratchFloats: (node, graph) => packedWords(qconvShape(node, graph)),
  prepare(node, ctx) {
    const s = qconvShape(node, ctx.graph);
    const a = node.attrs;
    const [x, w, wScale, b] = node.inputs;
    const { graph } = ctx;
    const off = byteOffset(a.xType);
    const zpOff = a.xZeroPoint - off;
    // The weights packed, and per channel the int32 bias less the padding's (zp - off) * sum(w),
    // then the float32 requantization multipliers.
    const wAt = ctx.constant(s.M * s.KH * s.KW * s.Cg4, () => new Float32Array(packQconvWeightsGpu(graph.weight(w), s).buffer));
    const cAt = ctx.constant(2 * s.M, () => {
      const { bias, multiplier } = qconvChannels(a, graph.weight(wScale), b === undefined ? undefined : graph.weight(b));
      const weights = graph.weight(w);
      const per = weights.length / s.M;
      const out = new Float32Array(2 * s.M);
      const ints = new Int32Array(out.buffer, 0, s.M);
      for (let m = 0; m < s.M; m++) {
        let sum = 0;
        for (let k = m * per; k < (m + 1) * per; k++) sum += weights[k];
        ints[m] = bias[m] - zpOff * sum;
      }
      out.set(multiplier, s.M);
      return out;
    });
    const [xScale, qlo] = qdqArgs({ scale: a.xScale, zeroPoint: a.xZeroPoint, type: a.xType });
    const [ylo, yhi] = qconvBounds(a);
    if (qconvDepthwise(node, graph)) return depthwise(node, ctx, s, { xScale, qlo, ylo, yhi });
    const padByte = zpOff & 0xff;
    const shared = {
      N: s.N, C: s.C, H: s.H, W: s.W, OH: s.OH, OW: s.OW, M: s.M, Mg: s.Mg, Cg: s.Cg, Cg4: s.Cg4, G: s.G, KH: s.KH, KW: s.KW,
      sh: a.stride[0], sw: a.stride[1], pt: a.pads[0], pl: a.pads[1], dh: a.dilation[0], dw: a.dilation[1],
      MBG: Math.ceil(s.Mg / 4), OWB: Math.ceil(s.OW / 4),
      x_off: ctx.offset(x), q_off: ctx.scratch, w_off: wAt, c_off: cAt, y_off: ctx.offset(node.outputs[0]),
      qlo, zp_off: zpOff, pad_word: (padByte * 0x01010101) >>> 0, x_scale: xScale, y_scale: a.yScale, ylo, yhi,
    };
    const words = packedWords(s);
    const outputs = s.N * s.G * shared.MBG * s.OH * shared.OWB;
    return [
      { kernel: 'qconv2d', constants: { WORKGROUP_SIZE, STAGE: 0 }, params: qconv2dParams({ ...shared, count: words }), workgroups: ctx.grid(words, WORKGROUP_SIZE) },
      { kernel: 'qconv2d', constants: { WORKGROUP_SIZE: 64, STAGE: 1 }, params: qconv2dParams({ ...shared, count: outputs }), workgroups: ctx.grid(outputs, 64) },
    ];
  },
};

/**
 * A depthwise qconv2d as integers on float32 lanes, exact (qconvDepthwise): x quantized to
 * floats xq - zp in the scratch region (stage 2), kernels/conv2d-direct.wgsl's float32 conv
 * with the integer weights and the int32 bias (its sums are integers below 2^24: exact in
 * any order), then the requantization in place (stage 3). On SwiftShader this ran
 * MobileNetV2's depthwise convs 8x faster than the dot-product kernel, whose words each
 * carry one channel's byte.
 */
function depthwise(
  node: NodeOf<'qconv2d'>, ctx: GpuKernelContext, s: QconvShape, q: { xScale: number; qlo: number; ylo: number; yhi: number },
): Dispatch[] {
  const { graph } = ctx;
  const a = node.attrs;
  const [x, w, wScale, b] = node.inputs;
  const weights = ctx.constant(s.M * s.KH * s.KW, () => Float32Array.from(graph.weight(w)));
  // The int32 biases as floats (exact below 2^24), then the requantization multipliers.
  const cAt = ctx.constant(2 * s.M, () => {
    const { bias, multiplier } = qconvChannels(a, graph.weight(wScale), b === undefined ? undefined : graph.weight(b));
    const out = new Float32Array(2 * s.M);
    out.set(bias);
    out.set(multiplier, s.M);
    return out;
  });
  const y = ctx.offset(node.outputs[0]);
  const fields = {
    N: s.N, C: s.C, H: s.H, W: s.W, OH: s.OH, OW: s.OW, M: s.M, Mg: s.Mg, Cg: s.Cg, Cg4: s.Cg4, G: s.G, KH: s.KH, KW: s.KW,
    sh: a.stride[0], sw: a.stride[1], pt: a.pads[0], pl: a.pads[1], dh: a.dilation[0], dw: a.dilation[1], MBG: 1, OWB: 1,
    x_off: ctx.offset(x), q_off: ctx.scratch, w_off: weights, c_off: cAt, y_off: y,
    qlo: q.qlo, zp_off: 0, pad_word: 0, x_scale: q.xScale, y_scale: a.yScale, ylo: q.ylo, yhi: q.yhi,
  };
  const inputs = s.N * s.C * s.H * s.W;
  const outputs = s.N * s.M * s.OH * s.OW;
  // The conv without the activation: ReLU / Clip are in [ylo, yhi] on the output's grid.
  const { activation: _, ...window } = a;
  const conv = convDispatch(
    { ...node, attrs: window },
    ctx,
    { N: s.N, C: s.C, H: s.H, W: s.W, M: s.M, OH: s.OH, OW: s.OW, groups: s.G, Cg: 1, KH: s.KH, KW: s.KW, K: s.KH * s.KW, Mg: s.Mg, sw: a.stride[1] },
    { x: ctx.scratch, w: weights, b: cAt, y },
    a,
  );
  return [
    { kernel: 'qconv2d', constants: { WORKGROUP_SIZE, STAGE: 2 }, params: qconv2dParams({ ...fields, count: inputs }), workgroups: ctx.grid(inputs, WORKGROUP_SIZE) },
    conv,
    { kernel: 'qconv2d', constants: { WORKGROUP_SIZE, STAGE: 3 }, params: qconv2dParams({ ...fields, count: outputs }), workgroups: ctx.grid(outputs, WORKGROUP_SIZE) },
  ];
}

import type { Graph } from '../../../graph/graph.js';
import type { NodeOf } from '../../../ops/attrs.js';
import { activationArgs, type FusedActivation } from '../../../ops/fused-activation.js';
import { invertedResidualBand, invertedResidualShape, type InvertedResidualShape } from '../../../ops/inverted-residual.js';
import { ACTIVATION_CODES } from '../../params.js';
import type { KernelContext, WasmKernel } from '../kernel.js';
import { invertedResidualParams } from '../params.generated.js';
import { packConvWeights, share } from './conv2d.js';

function shapeOf(node: NodeOf<'invertedresidual'>, graph: Graph): InvertedResidualShape {
  return invertedResidualShape(node, node.inputs.map((t) => graph.shape(t)));
}

/** A fused activation's code and arguments, as the kernel's act_*, *0, *1 fields hold them. */
function act(a: FusedActivation | undefined): [number, number, number] {
  return [ACTIVATION_CODES[a?.op ?? 'none'], ...activationArgs(a)];
}

/** A 1x1 conv's [M, K] weights packed for the 4x8 micro-kernel (per block of 4 rows, K rows of 4; zero past M). */
function packPointwise(ctx: KernelContext, w: Float32Array, M: number, K: number): number {
  const MBg = Math.ceil(M / 4);
  return ctx.uploadPacked(MBg * K * 4, (into) => packConvWeights(w, { C: K, H: 1, W: 1, M, OH: 1, OW: 1, groups: 1, KH: 1, KW: 1, K, Mg: M, MBg }, into));
}

/**
 * invertedresidual: f32_invertedresidual_4x8__wasmsimd (assembly/bottleneck.ts), in bands of
 * output rows whose expanded and depthwise bands live in the node's workspace, planned in the
 * arena (src/plan/memory-planner.ts) once per thread. Threads split the output rows; each
 * expands the few rows above its share again.
 */
export const invertedresidualKernel: WasmKernel<'invertedresidual'> = {
  op: 'invertedresidual',
  supports(node, graph) {
    return node.inputs.slice(1).every((t) => graph.initializers.has(t)) ? true : 'weights that are not constants';
  },
  prepare(node, ctx: KernelContext) {
    const { graph } = ctx;
    const s = shapeOf(node, graph);
    const band = invertedResidualBand(s);
    const a = node.attrs;
    const [x, ...w] = node.inputs;
    let k = 0;
    const we = a.expand ? packPointwise(ctx, graph.weight(w[k++]), s.Ce, s.Cin) : 0;
    const be = a.expand ? ctx.ptr(w[k++]) : 0;
    const wk = ctx.ptr(w[k++]);
    const bk = ctx.ptr(w[k++]);
    const wp = a.project ? packPointwise(ctx, graph.weight(w[k++]), s.Cout, s.Ce) : 0;
    const bp = a.project ? ctx.ptr(w[k++]) : 0;
    const [actE, ae0, ae1] = act(a.expandActivation);
    const [actD, ad0, ad1] = act(a.dwActivation);
    const [actP, ap0, ap1] = act(a.projectActivation);
    const inImage = s.Cin * s.H * s.W * 4;
    const outImage = s.Cout * s.OH * s.OW * 4;
    const images = Array.from({ length: s.N }, (_, n) =>
      Array.from({ length: ctx.threads }, (_, t) => {
        const [oh0, oh1] = share(s.OH, ctx.threads, t);
        const ws = ctx.workspace(node, t);
        return ctx.params(invertedResidualParams({
          x: ctx.ptr(x) + n * inImage, we, be, wk, bk, wp, bp, y: ctx.ptr(node.outputs[0]) + n * outImage,
          e: ws + band.eOffset, d: ws + band.dOffset, panels: band.panelOffset ? ws + band.panelOffset : 0, tile: ws + band.tileOffset, block: ws + band.blockOffset,
          dwp: ws + band.dwParamsOffset, pad: ws + band.padOffset,
          c: s.Cin, h: s.H, wd: s.W, ce: s.Ce, m: s.Cout, oh: s.OH, ow: s.OW, kh: s.KH, kw: s.KW,
          sh: s.stride[0], sw: s.stride[1], pt: s.pads[0], pl: s.pads[1], pr: s.pads[3], dh: s.dilation[0], dw: s.dilation[1],
          residual: a.residual ? 1 : 0, actE, ae0, ae1, actD, ad0, ad1, actP, ap0, ap1,
          rows: band.rows, rowsIn: band.rowsIn, oh0, oh1,
        }));
      }),
    );
    return () => {
      for (const blocks of images) ctx.parallel('f32_invertedresidual_4x8__wasmsimd', blocks);
    };
  },
};

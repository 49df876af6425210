import { AttributeError, ShapeError } from '../graph/errors.js';
import type { Node, Shape } from '../graph/graph.js';
import type { InvertedResidualAttrs } from './attrs.js';
import { conv2d } from './conv2d.js';
import { fusedActivation, type FusedActivation } from './fused-activation.js';
import { elements, expectNCHW, type OpDef, type TensorView } from './op.js';
import { windowAttrs, windowOutput } from './window.js';

/**
 * invertedresidual: MobileNetV2's block (and MobileNetV3's and MNASNet's without
 * squeeze-excite) as one op, made by the bottleneck pass (src/plan/fuse-bottleneck.ts) from
 *
 *   [1x1 expand conv + expandActivation] -> k x k depthwise conv + dwActivation
 *     -> 1x1 project conv [+ x] [+ projectActivation]
 *
 * Inputs: x [N, Cin, H, W], then (expand only) w1 [Ce, Cin, 1, 1], b1 [Ce], then
 * wd [Ce, 1, kh, kw], bd [Ce], w2 [Cout, Ce, 1, 1], b2 [Cout]. Without `expand` the depthwise
 * conv reads x itself (Ce = Cin: MobileNetV2's first block). `residual` adds x to the
 * projection (Cout = Cin and the depthwise conv keeps H x W). With `project` false the op is
 * the block's first half, expand -> depthwise (inputs x, w1, b1, wd, bd; output the depthwise
 * conv's, [N, Ce, OH, OW]): where squeeze-excite reads the whole depthwise output before the
 * projection (EfficientNet, MobileNetV3), only the expanded tensor can go. The window attributes are
 * the depthwise conv's. A backend with a fused kernel computes it in bands of output rows
 * ({@link invertedResidualBand}), so the expanded tensor (Ce x H x W) never exists whole:
 * its band lives in the node's workspace, which the memory planner places in the arena.
 */
export const invertedresidual: OpDef<'invertedresidual'> = {
  type: 'invertedresidual',
  arity: [5, 7],
  elementwise: false,
  inplace: false,
  attrs(node) {
    const a = node.attrs as Record<string, unknown>;
    const flag = (name: string) => {
      const v = a[name];
      if (typeof v !== 'boolean') throw new AttributeError(node.name, name, 'true or false', v);
      return v;
    };
    const expand = flag('expand');
    const residual = flag('residual');
    const project = a.project === undefined ? true : flag('project');
    if (!project && (!expand || residual)) throw new AttributeError(node.name, 'project', 'true unless the block expands and has no residual', false);
    const w = windowAttrs(node);
    if (w.ceilMode) throw new AttributeError(node.name, 'ceilMode', 'false (a convolution has no ceil mode)', true);
    const act = (name: string) => {
      const v = activationAttr(node, name);
      return v ? { [name]: v } : {};
    };
    return { ...w, expand, residual, project, ...act('expandActivation'), ...act('dwActivation'), ...act('projectActivation') } as InvertedResidualAttrs;
  },
  inferShapes(node, inputs) {
    const s = invertedResidualShape(node, inputs);
    return [[s.N, s.Cout, s.OH, s.OW]];
  },
  cost(node, inputs) {
    const s = invertedResidualShape(node, inputs);
    const a = node.attrs as InvertedResidualAttrs;
    const inPix = s.N * s.H * s.W;
    const outPix = s.N * s.OH * s.OW;
    // The lecture's count of the three convs it replaces: kh*kw*Cin/groups MACs per output.
    const macs = (s.expand ? inPix * s.Ce * s.Cin : 0) + outPix * s.Ce * s.KH * s.KW + (s.project ? outPix * s.Cout * s.Ce : 0);
    const elementwiseFlops =
      (s.expand && a.expandActivation ? inPix * s.Ce : 0) + (a.dwActivation ? outPix * s.Ce : 0) +
      ((a.residual ? 1 : 0) + (a.projectActivation ? 1 : 0)) * outPix * s.Cout;
    return { macs, flops: 2 * macs, elementwiseFlops, bytes: invertedResidualBytes(s) };
  },
  workspace(node, inputs) {
    return invertedResidualBand(invertedResidualShape(node, inputs)).bytes;
  },
  reference(node, inputs, [y]) {
    // Exactly the unfused chain: each conv's own reference kernel (float64 sums), each
    // intermediate rounded to float32 as the unfused graph stores it.
    const a = node.attrs as InvertedResidualAttrs;
    const s = invertedResidualShape(node, inputs.map((t) => t.shape));
    const [x, ...w] = inputs;
    const conv = (name: string, attrs: Record<string, unknown>, ins: TensorView[], shape: Shape): TensorView => {
      const out = { shape, data: new Float32Array(elements(shape)) };
      conv2d.reference({ name, op: 'conv2d', inputs: [], outputs: [], attrs, layer: name }, ins, [out]);
      return out;
    };
    const pointwise = { kernel: [1, 1], stride: [1, 1], pads: [0, 0, 0, 0], dilation: [1, 1], groups: 1 };
    let k = 0;
    const e = s.expand
      ? conv(`${node.name}/expand`, { ...pointwise, ...withActivation(a.expandActivation) }, [x, w[k++], w[k++]], [s.N, s.Ce, s.H, s.W])
      : x;
    const d = conv(
      `${node.name}/depthwise`,
      { kernel: a.kernel, stride: a.stride, pads: a.pads, dilation: a.dilation, groups: s.Ce, ...withActivation(a.dwActivation) },
      [e, w[k++], w[k++]],
      [s.N, s.Ce, s.OH, s.OW],
    );
    if (!s.project) {
      y.data.set(d.data);
      return;
    }
    const r = conv(`${node.name}/project`, { ...pointwise, ...withActivation(a.projectActivation) }, [d, w[k++], w[k++], ...(a.residual ? [x] : [])], y.shape);
    y.data.set(r.data);
  },
};

const withActivation = (act: FusedActivation | undefined) => (act ? { activation: act } : {});

/** A fused activation held under another attribute name than conv's `activation`, checked by the same rule. */
function activationAttr(node: Node, name: string): FusedActivation | undefined {
  const v = (node.attrs as Record<string, unknown>)[name];
  if (v === undefined) return undefined;
  try {
    return fusedActivation({ ...node, attrs: { activation: v } });
  } catch {
    throw new AttributeError(node.name, name, "a fused activation ({op: 'relu'}, {op: 'clip', min, max}, ...)", JSON.stringify(v));
  }
}

/** The sizes of an inverted residual node. */
export interface InvertedResidualShape {
  readonly N: number;
  readonly Cin: number;
  readonly H: number;
  readonly W: number;
  /** Expanded channels (Cin without the expand conv). */
  readonly Ce: number;
  readonly Cout: number;
  readonly OH: number;
  readonly OW: number;
  readonly KH: number;
  readonly KW: number;
  readonly expand: boolean;
  /** The 1x1 project conv is part of the op (else its output is the depthwise conv's). */
  readonly project: boolean;
  readonly stride: readonly [number, number];
  readonly pads: readonly [number, number, number, number];
  readonly dilation: readonly [number, number];
}

export function invertedResidualShape(node: Node, inputs: readonly Shape[]): InvertedResidualShape {
  const a = node.attrs as Record<string, unknown>;
  const expand = a.expand === true;
  const project = a.project !== false;
  const want = 3 + (expand ? 2 : 0) + (project ? 2 : 0);
  if (inputs.length !== want) {
    throw new ShapeError(node.name, `${want} inputs (x, ${expand ? 'w1, b1, ' : ''}wd, bd${project ? ', w2, b2' : ''})`, `${inputs.length}`);
  }
  const [N, Cin, H, W] = expectNCHW(node, inputs[0]);
  const vec = (s: Shape, n: number, what: string) => {
    if (s.length !== 1 || s[0] !== n) throw new ShapeError(node.name, `${what} of shape [${n}]`, s);
  };
  let k = 1;
  let Ce = Cin;
  if (expand) {
    const w1 = inputs[k++];
    if (w1.length !== 4 || w1[1] !== Cin || w1[2] !== 1 || w1[3] !== 1) throw new ShapeError(node.name, `expand weight of shape [Ce, ${Cin}, 1, 1]`, w1);
    Ce = w1[0];
    vec(inputs[k++], Ce, 'expand bias');
  }
  const w = windowAttrs(node);
  const wd = inputs[k++];
  if (wd.length !== 4 || wd[0] !== Ce || wd[1] !== 1 || wd[2] !== w.kernel[0] || wd[3] !== w.kernel[1]) {
    throw new ShapeError(node.name, `depthwise weight of shape [${Ce}, 1, ${w.kernel[0]}, ${w.kernel[1]}]`, wd);
  }
  vec(inputs[k++], Ce, 'depthwise bias');
  let Cout = Ce;
  if (project) {
    const w2 = inputs[k++];
    if (w2.length !== 4 || w2[1] !== Ce || w2[2] !== 1 || w2[3] !== 1) throw new ShapeError(node.name, `project weight of shape [Cout, ${Ce}, 1, 1]`, w2);
    Cout = w2[0];
    vec(inputs[k++], Cout, 'project bias');
  }
  const [OH, OW] = windowOutput(node, w, H, W);
  if (a.residual === true && (Cout !== Cin || OH !== H || OW !== W)) {
    throw new ShapeError(node.name, `a residual block's output of the input's shape [${N}, ${Cin}, ${H}, ${W}]`, [N, Cout, OH, OW], 'residual');
  }
  return { N, Cin, H, W, Ce, Cout, OH, OW, KH: w.kernel[0], KW: w.kernel[1], expand, project, stride: w.stride, pads: w.pads, dilation: w.dilation };
}

/**
 * Bytes the fused op moves to and from memory, per minibatch: x read (twice with the
 * residual: once more by the projection), the weights, y written. The unfused chain moves
 * the expanded and depthwise tensors as well (each written once and read once).
 */
export function invertedResidualBytes(s: InvertedResidualShape): number {
  const weights = (s.expand ? s.Ce * s.Cin + s.Ce : 0) + s.Ce * (s.KH * s.KW + 1) + (s.project ? s.Cout * s.Ce + s.Cout : 0);
  return 4 * (s.N * s.Cin * s.H * s.W + weights + s.N * s.Cout * s.OH * s.OW);
}

/** One thread's workspace budget: the expanded band and the depthwise band stay in L2. */
export const BAND_BUDGET_BYTES = 192 * 1024;
/** Expanded channels above which the projection reads the depthwise band repacked in panels. */
export const PANEL_MIN_CE = 512;
/** Output pixels a band has at least (whole rows; the image when it has fewer). */
export const MIN_BAND_PIXELS = 256;
/** Pixels per GEMM block (the 4x8 micro-kernel's 8 columns). */
const NR = 8;
const align16 = (n: number) => Math.ceil(n / 16) * 16;

/** How a fused kernel cuts the block into bands of output rows, and its workspace (one thread's). */
export interface InvertedResidualBand {
  /** Output rows per band. */
  readonly rows: number;
  /** Input rows a band's depthwise window spans: (rows - 1) * sh + (kh - 1) * dh + 1. */
  readonly rowsIn: number;
  /** Byte offsets in the workspace: the expanded band [Ce][rowsIn][W] (none at expansion 1); the depthwise band [Ce][rows * OW], and repacked per 8 pixels; the x tile of the last < 8 pixels; the 4 x 8 block; the depthwise call's parameter block; its zero-bordered plane. */
  readonly eOffset: number;
  readonly dOffset: number;
  /** 0: no panels (Ce <= PANEL_MIN_CE). */
  readonly panelOffset: number;
  readonly tileOffset: number;
  readonly blockOffset: number;
  readonly dwParamsOffset: number;
  readonly padOffset: number;
  /** One thread's workspace. */
  readonly bytes: number;
}

/**
 * The band: at least {@link MIN_BAND_PIXELS} output pixels (whole rows, at most the image),
 * then as many output rows as keep the expanded band (Ce x rowsIn x W), the depthwise band
 * (Ce x rows x OW) and one zero-bordered plane within {@link BAND_BUDGET_BYTES}. Rows the previous band already expanded are kept (moved up), so no row is
 * expanded twice.
 */
export function invertedResidualBand(s: InvertedResidualShape): InvertedResidualBand {
  const pw = s.W + s.pads[1] + s.pads[3];
  const rowsInOf = (r: number) => Math.min((r - 1) * s.stride[0] + (s.KH - 1) * s.dilation[0] + 1, s.H + s.pads[0] + s.pads[2]);
  // No expanded band at expansion 1: the depthwise kernel reads x's rows.
  const eBytes = (r: number) => (s.expand ? 4 * s.Ce * rowsInOf(r) * s.W : 0);
  // 32 bytes past the depthwise band: the projection's last block of 8 pixels loads 8.
  const dBytes = (r: number) => (s.project ? 4 * s.Ce * r * s.OW + 32 : 0);
  // The depthwise kernel's zero-bordered plane: the band's window rows, 64 bytes of slack (assembly/dwconv.ts).
  const padBytes = (r: number) => 4 * rowsInOf(r) * pw + 64;
  // The depthwise band again, repacked per 8 pixels for the projection's micro-kernel where
  // its K (Ce) is more than the unfused conv's chunk of 512 rows (assembly/bottleneck.ts).
  const panelBytes = (r: number) => (s.project && s.Ce > PANEL_MIN_CE ? 4 * s.Ce * Math.ceil((r * s.OW) / NR) * NR : 0);
  const total = (r: number) => eBytes(r) + dBytes(r) + panelBytes(r) + padBytes(r);
  // At least MIN_BAND_PIXELS output pixels a band: each band reads all of both 1x1 convs'
  // weights again (614 KB at MobileNetV2's 7x7 blocks) and calls the depthwise kernel once
  // per channel; one 7-pixel row a band ran those blocks ~15% slower than the unfused convs.
  let rows = Math.min(s.OH, Math.ceil(MIN_BAND_PIXELS / s.OW));
  while (rows < s.OH && total(rows + 1) <= BAND_BUDGET_BYTES) rows++;
  const eOffset = 0;
  const dOffset = align16(eBytes(rows));
  const panelOffset = dOffset + align16(dBytes(rows));
  const tileOffset = panelOffset + align16(panelBytes(rows));
  const blockOffset = tileOffset + align16(4 * s.Cin * NR);
  const dwParamsOffset = blockOffset + 4 * 4 * NR;
  const padOffset = dwParamsOffset + DW_PARAMS_BYTES;
  return { rows, rowsIn: rowsInOf(rows), eOffset, dOffset, panelOffset: s.project && s.Ce > PANEL_MIN_CE ? panelOffset : 0, tileOffset, blockOffset, dwParamsOffset, padOffset, bytes: padOffset + align16(padBytes(rows)) };
}

/** Room for the depthwise kernel's parameter block (31 fields, assembly/params.json's dwconv). */
export const DW_PARAMS_BYTES = 128;

import type { Node, OpType } from '../graph/graph.js';
import type { FusedActivation } from './fused-activation.js';
import type { WindowAttrs } from './window.js';

/**
 * The attributes of every op, typed and complete: each op's `attrs(node)` (src/ops/) checks
 * a node's raw attributes, fills every default (dilation, count_include_pad, softmax's axis,
 * ...) and returns one of these; `finalizeGraph` stores the result in the node, once. So a
 * kernel reads `node.attrs.groups` with no cast and no default of its own.
 */
export interface Conv2dAttrs extends WindowAttrs {
  readonly groups: number;
  /** Fused into the epilogue by the planner (applied after the residual). */
  readonly activation?: FusedActivation;
}
/** qconv2d (src/ops/qconv2d.ts): conv2d's attributes and the 8-bit grids of its input and output. */
export interface QConv2dAttrs extends Conv2dAttrs {
  readonly xScale: number;
  readonly xZeroPoint: number;
  readonly xType: 'int8' | 'uint8';
  readonly yScale: number;
  readonly yZeroPoint: number;
  readonly yType: 'int8' | 'uint8';
}
export type MaxPoolAttrs = WindowAttrs;
export interface AvgPoolAttrs extends WindowAttrs {
  /** Whether padded zeros count in the divisor (PyTorch's default true, ONNX's false). */
  readonly countIncludePad: boolean;
}
export interface FcAttrs {
  readonly activation?: FusedActivation;
}
export interface GemmAttrs {
  readonly alpha: number;
  readonly beta: number;
  readonly transA: boolean;
  readonly transB: boolean;
}
export interface AxisAttrs {
  readonly axis: number;
}
export interface ReshapeAttrs {
  /** 0 copies the input's size (unless allowzero), -1 takes what is left. */
  readonly shape: readonly number[];
  readonly allowzero: boolean;
}
export interface PadAttrs {
  /** Begin pads of every axis, then end pads; negative pads crop. */
  readonly pads: readonly number[];
  readonly value: number;
}
export interface ClipAttrs {
  readonly min: number;
  readonly max: number;
}
export interface HardSigmoidAttrs {
  readonly alpha: number;
  readonly beta: number;
}
/**
 * qdq: a float tensor rounded to the 8-bit grid of a scale and zero point and back, as ONNX
 * QuantizeLinear followed by DequantizeLinear with the same parameters (per tensor).
 */
export interface QdqAttrs {
  /** Positive and finite. */
  readonly scale: number;
  /** An integer of the type's range. */
  readonly zeroPoint: number;
  readonly type: 'int8' | 'uint8';
}
export interface LeakyReluAttrs {
  readonly alpha: number;
}
export interface LrnAttrs {
  readonly size: number;
  readonly alpha: number;
  readonly beta: number;
  readonly bias: number;
}
export interface BatchNormAttrs {
  readonly epsilon: number;
}
export interface SoftmaxAttrs {
  readonly axis: number;
  /** ONNX before opset 13: the tensor seen as 2-D, [prod(shape[:axis]), prod(shape[axis:])]. */
  readonly coerce2d: boolean;
}
export interface TransposeAttrs {
  /** Output axis d is input axis perm[d]; complete (the importer fills ONNX's reversed default). */
  readonly perm: readonly number[];
}
export interface SliceAttrs {
  /** ONNX Slice's, one entry per sliced axis (axes may be negative; ends are clamped). */
  readonly starts: readonly number[];
  readonly ends: readonly number[];
  readonly axes: readonly number[];
  readonly steps: readonly number[];
}
export interface ChannelShuffleAttrs {
  readonly groups: number;
}
export interface ReduceAttrs {
  /** Reduced axes, sorted, each >= 0 (the importer resolves negative and empty axes). */
  readonly axes: readonly number[];
  readonly keepdims: boolean;
}
export interface LayerNormAttrs {
  /** First normalised axis. */
  readonly axis: number;
  /** Normalised axes from `axis` on; 0: all of them (ONNX's LayerNormalization). */
  readonly count: number;
  readonly epsilon: number;
}
/** The fused inverted residual (src/ops/inverted-residual.ts): the window is its depthwise conv's. */
export interface InvertedResidualAttrs extends WindowAttrs {
  /** A 1x1 expand conv comes first (false: the depthwise conv reads the input: expansion 1). */
  readonly expand: boolean;
  /** The input is added to the projection (before projectActivation). */
  readonly residual: boolean;
  /** The 1x1 project conv is part of the op; false: expand -> depthwise only (squeeze-excite follows). */
  readonly project: boolean;
  readonly expandActivation?: FusedActivation;
  readonly dwActivation?: FusedActivation;
  readonly projectActivation?: FusedActivation;
}
/** Ops without attributes. */
export type NoAttrs = Record<string, never>;

/** Each op's attributes. */
export interface OpAttrs {
  conv2d: Conv2dAttrs;
  maxpool: MaxPoolAttrs;
  avgpool: AvgPoolAttrs;
  globalavgpool: NoAttrs;
  globalmaxpool: NoAttrs;
  fc: FcAttrs;
  flatten: AxisAttrs;
  relu: NoAttrs;
  clip: ClipAttrs;
  tanh: NoAttrs;
  sigmoid: NoAttrs;
  lrn: LrnAttrs;
  batchnorm: BatchNormAttrs;
  leakyrelu: LeakyReluAttrs;
  add: NoAttrs;
  mul: NoAttrs;
  concat: AxisAttrs;
  softmax: SoftmaxAttrs;
  dropout: NoAttrs;
  identity: NoAttrs;
  pad: PadAttrs;
  reshape: ReshapeAttrs;
  gemm: GemmAttrs;
  hardsigmoid: HardSigmoidAttrs;
  hardswish: NoAttrs;
  silu: NoAttrs;
  gelu: NoAttrs;
  erf: NoAttrs;
  sqrt: NoAttrs;
  qdq: QdqAttrs;
  qconv2d: QConv2dAttrs;
  sub: NoAttrs;
  div: NoAttrs;
  pow: NoAttrs;
  reducemean: ReduceAttrs;
  reducesum: ReduceAttrs;
  reducemax: ReduceAttrs;
  layernorm: LayerNormAttrs;
  matmul: NoAttrs;
  transpose: TransposeAttrs;
  slice: SliceAttrs;
  channelshuffle: ChannelShuffleAttrs;
  invertedresidual: InvertedResidualAttrs;
}

/** A node of op T, its attributes typed. */
export type NodeOf<T extends OpType> = Node<OpAttrs[T]> & { readonly op: T };

/** Any node, as the union of typed nodes: a `switch (n.op)` narrows its attributes. */
export type AnyNode = { [T in OpType]: NodeOf<T> }[OpType];

/**
 * A node of a finalized graph, typed by its op: finalizeGraph stored the attributes its op's
 * attrs() made, so they are that op's (the one place this is asserted).
 */
export function typed(node: Node): AnyNode {
  return node as AnyNode;
}

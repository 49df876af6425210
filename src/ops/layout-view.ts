import { GraphError } from '../graph/errors.js';
import type { Shape } from '../graph/graph.js';
import type { AnyNode } from './attrs.js';
import { channelShuffleView } from './channel-shuffle.js';
import { sliceView } from './slice.js';
import { collapseView, type StridedView } from './strided-view.js';
import { transposeView } from './transpose.js';

/** The layout ops every backend runs as one strided gather. */
export type LayoutOp = 'transpose' | 'slice' | 'channelshuffle';

/** A layout node's gather over its input of shape `x`, axes merged (what the fast kernels run). */
export function layoutView(node: AnyNode, x: Shape): StridedView {
  switch (node.op) {
    case 'transpose': return collapseView(transposeView(node.attrs.perm, x));
    case 'slice': return collapseView(sliceView(node.attrs, x));
    case 'channelshuffle': return collapseView(channelShuffleView(node.attrs.groups, x));
    default: throw new GraphError(`node '${node.name}': ${node.op} is not a layout op`);
  }
}

/** Most axes the wasm and WGSL gathers walk after merging. */
export const GATHER_MAX_AXES = 6;

/** Why a fast backend cannot run the gather, or true. */
export function gatherSupported(v: StridedView): true | string {
  return v.dims.length <= GATHER_MAX_AXES ? true : `needs ${v.dims.length} axes after merging; the gather kernels walk at most ${GATHER_MAX_AXES}`;
}

/** Dims and strides left-padded to 6 axes (extent 1, stride 0). */
export function padView6(v: StridedView): { dims: number[]; strides: number[] } {
  const pad = GATHER_MAX_AXES - v.dims.length;
  return { dims: [...new Array<number>(pad).fill(1), ...v.dims], strides: [...new Array<number>(pad).fill(0), ...v.strides] };
}

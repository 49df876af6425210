import { ShapeError } from '../graph/errors.js';
import type { Shape } from '../graph/graph.js';
import { ZERO_COST, intAttr, type OpDef } from './op.js';
import { gatherStrided, type StridedView } from './strided-view.js';

/**
 * Output channel j*g + i is input channel i*(C/g) + j: the input seen as [N, g, C/g, H*W],
 * walked as [N, C/g, g, H*W]. Each H*W plane moves as one contiguous run.
 */
export function channelShuffleView(groups: number, x: Shape): StridedView {
  const [n, c] = x;
  const hw = x.slice(2).reduce((a, b) => a * b, 1);
  return { dims: [n, c / groups, groups, hw], strides: [c * hw, hw, (c / groups) * hw, 1], offset: 0 };
}

/**
 * ShuffleNet's channel shuffle, as one op: what torch exports as Reshape [N, g, C/g, H, W] ->
 * Transpose [0, 2, 1, 3, 4] -> Reshape [N, C, H, W] (recognised by the ONNX importer).
 * A permutation of whole channel planes: no MACs, no FLOPs, one read and one write.
 */
export const channelshuffle: OpDef<'channelshuffle'> = {
  type: 'channelshuffle',
  arity: [1, 1],
  elementwise: false,
  inplace: false,
  attrs: (node) => ({ groups: intAttr(node, 'groups', 1) }),
  inferShapes(node, [x]) {
    const groups = intAttr(node, 'groups', 1);
    if (x.length < 2 || x[1] % groups !== 0) throw new ShapeError(node.name, `an input [N, C, ...] with C divisible by groups ${groups}`, x);
    return [[...x]];
  },
  cost: () => ZERO_COST,
  reference(node, [x], [y]) {
    gatherStrided(x.data, y.data, channelShuffleView(intAttr(node, 'groups', 1), x.shape));
  },
};

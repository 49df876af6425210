import { AttributeError, ShapeError } from '../graph/errors.js';
import type { Node, Shape } from '../graph/graph.js';
import { ZERO_COST, isInt, type OpDef } from './op.js';
import { gatherStrided, rowMajorStrides, type StridedView } from './strided-view.js';

/** Whether `perm` holds 0..n-1 once each. */
function isPermutation(perm: readonly number[]): boolean {
  return perm.every((p) => isInt(p) && p >= 0 && p < perm.length) && new Set(perm).size === perm.length;
}

/** Output axis d of a transpose is input axis perm[d]: the input walked in that order. */
export function transposeView(perm: readonly number[], x: Shape): StridedView {
  const s = rowMajorStrides(x);
  return { dims: perm.map((p) => x[p]), strides: perm.map((p) => s[p]), offset: 0 };
}

/**
 * Transpose (ONNX Transpose, any rank): y's axis d is x's axis perm[d]. `perm` is complete in
 * the IR (the importer fills ONNX's default, the reversed axes). Moves every element once:
 * like reshape and concat, no MACs and no FLOPs (DESIGN.md's cost conventions).
 */
export const transpose: OpDef<'transpose'> = {
  type: 'transpose',
  arity: [1, 1],
  elementwise: false,
  inplace: false,
  attrs(node) {
    const { perm } = node.attrs as { perm?: unknown };
    if (!Array.isArray(perm) || !isPermutation(perm)) throw new AttributeError(node.name, 'perm', 'a permutation of 0..rank-1', perm);
    return { perm: [...perm] };
  },
  inferShapes(node: Node, [x]) {
    const { perm } = node.attrs as { perm: number[] };
    if (perm.length !== x.length) throw new ShapeError(node.name, `an input of rank ${perm.length} (the length of perm)`, x);
    return [perm.map((p) => x[p])];
  },
  cost: () => ZERO_COST,
  reference(node, [x], [y]) {
    gatherStrided(x.data, y.data, transposeView((node.attrs as { perm: number[] }).perm, x.shape));
  },
};

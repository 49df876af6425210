import { AttributeError, ShapeError } from '../graph/errors.js';
import { ZERO_COST, isInt, type OpDef } from './op.js';

/**
 * Reshape to a constant shape (ONNX Reshape with its shape folded at import): 0 copies the
 * input's size on that axis (unless `allowzero`), -1 takes what is left. A view: no copy.
 */
export const reshape: OpDef<'reshape'> = {
  type: 'reshape',
  arity: [1, 1],
  elementwise: false,
  inplace: true,
  attrs(node) {
    const { shape, allowzero } = node.attrs as { shape?: unknown; allowzero?: unknown };
    if (!Array.isArray(shape) || !shape.every((d) => isInt(d) && d >= -1) || shape.filter((d) => d === -1).length > 1) {
      throw new AttributeError(node.name, 'shape', 'integers >= -1 with at most one -1', shape);
    }
    return { shape: [...shape], allowzero: allowzero === true };
  },
  inferShapes(node, [x]) {
    const { shape, allowzero = false } = node.attrs as { shape: number[]; allowzero?: boolean };
    const total = x.reduce((a, b) => a * b, 1);
    const out = shape.map((d, i) => (d === 0 && !allowzero ? x[i] : d));
    if (out.some((d) => d === undefined)) throw new ShapeError(node.name, `a 0 only on axes the input has (rank ${x.length})`, shape, 'shape');
    const known = out.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    const infer = out.indexOf(-1);
    if (infer >= 0) {
      if (known === 0 || total % known !== 0) throw new ShapeError(node.name, `a shape whose size divides ${total}`, shape, 'shape');
      out[infer] = total / known;
    }
    if (out.reduce((a, b) => a * b, 1) !== total || out.some((d) => d < 1)) {
      throw new ShapeError(node.name, `a shape of ${total} elements (input [${x.join(', ')}])`, out, 'shape');
    }
    return [out];
  },
  cost: () => ZERO_COST,
  reference(_node, [x], [y]) {
    if (y.data !== x.data) y.data.set(x.data);
  },
};

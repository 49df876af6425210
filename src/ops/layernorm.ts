import { AttributeError, ShapeError } from '../graph/errors.js';
import type { Node, Shape } from '../graph/graph.js';
import type { LayerNormAttrs } from './attrs.js';
import { elements, isInt, numAttr, type OpDef } from './op.js';

function layerNormAttrs(node: Node): LayerNormAttrs {
  const { axis, count = 0 } = node.attrs as { axis?: unknown; count?: unknown };
  if (!isInt(axis) || axis < 0) throw new AttributeError(node.name, 'axis', 'an integer >= 0', axis);
  if (!isInt(count) || count < 0) throw new AttributeError(node.name, 'count', 'an integer >= 0 (0: every axis from axis on)', count);
  return { axis, count, epsilon: numAttr(node, 'epsilon', (v) => v >= 0, 'a finite number >= 0') };
}

/**
 * [outer, len, inner] of a layer norm: each of the outer*inner vectors of `len` elements
 * `inner` apart is normalised. ONNX's LayerNormalization normalises every axis from `axis`
 * on (count 0, inner 1); the channels-first form of ConvNeXt's LayerNorm2d normalises axis 1
 * only of NCHW (count 1, inner H*W).
 */
export function layerNormLayout(shape: Shape, axis: number, count: number): [number, number, number] {
  const end = count === 0 ? shape.length : axis + count;
  const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
  return [prod(shape.slice(0, axis)), prod(shape.slice(axis, end)), prod(shape.slice(end))];
}

/**
 * Layer normalisation y = (x - mean) / sqrt(var + epsilon) * scale + bias over the axes
 * [axis, axis + count) (count 0: to the end), the variance biased (divided by len), as ONNX
 * LayerNormalization and PyTorch's layer_norm. Inputs: x, then optional scale and bias of
 * len elements (any shape holding them). A NaN or an infinity in a vector makes it all NaN.
 */
export const layernorm: OpDef<'layernorm'> = {
  type: 'layernorm',
  arity: [1, 3],
  elementwise: true,
  inplace: false,
  attrs: layerNormAttrs,
  inferShapes(node, [x, scale, bias]) {
    const { axis, count } = layerNormAttrs(node);
    if (axis >= x.length || axis + count > x.length) throw new ShapeError(node.name, `axes [${axis}, ${count ? axis + count : x.length}) within rank ${x.length}`, axis, 'axis');
    const len = layerNormLayout(x, axis, count)[1];
    for (const [what, s] of [['scale', scale], ['bias', bias]] as const) {
      if (s && elements(s) !== len) throw new ShapeError(node.name, `${what} of ${len} elements`, s);
    }
    return [x];
  },
  // mean (1), variance (3: subtract, square, add), normalise, scale, shift (4) per element.
  cost: (_node, _in, [y]) => ({ macs: 0, flops: 0, elementwiseFlops: 8 * elements(y) }),
  reference(node, [x, scale, bias], [y]) {
    const { axis, count, epsilon } = layerNormAttrs(node);
    const [outer, len, inner] = layerNormLayout(x.shape, axis, count);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const at = (k: number) => (o * len + k) * inner + i;
        let sum = 0;
        for (let k = 0; k < len; k++) sum += x.data[at(k)];
        const mean = sum / len;
        let sq = 0;
        for (let k = 0; k < len; k++) sq += (x.data[at(k)] - mean) ** 2;
        const inv = 1 / Math.sqrt(sq / len + epsilon);
        for (let k = 0; k < len; k++) {
          y.data[at(k)] = (x.data[at(k)] - mean) * inv * (scale ? scale.data[k] : 1) + (bias ? bias.data[k] : 0);
        }
      }
    }
  },
};

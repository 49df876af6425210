/**
 * Constants torch applies as separate elementwise nodes after a layer, folded into that
 * layer's weights: a per-channel scale after a conv (ConvNeXt's layer scale) and the bias Add
 * after a Linear over the last axis of an N-d tensor (MatMul + Add). Each saves a pass over
 * the layer's output and lets the residual add or the activation after it join the epilogue.
 */
import { sizeOf } from '../graph/graph.js';
import { onlyReader, sameDims, type PassContext } from './rewriter.js';

/**
 * A per-channel constant multiplying a conv's output (ConvNeXt's layer scale, `gamma * x` of
 * shape [C, 1, 1] after its block) folded into the conv's weights and bias, so the residual
 * add that follows joins the conv's epilogue. Returns the folded Muls.
 */
export function foldChannelScales({ g, outputs, inits, values, freshName }: PassContext): string[] {
  const found: string[] = [];
  for (const i of g.indicesOf('mul')) {
    const mul = g.node(i);
    if (!mul) continue;
    for (const [y, s] of [[mul.inputs[0], mul.inputs[1]], [mul.inputs[1], mul.inputs[0]]]) {
      const c = g.producer(y);
      const conv = c === undefined ? undefined : g.node(c)!;
      const scaleInit = inits.get(s);
      if (c === undefined || conv?.op !== 'conv2d' || onlyReader(g, outputs, y) !== i || !scaleInit) continue;
      if ((conv.attrs as { activation?: unknown }).activation || conv.inputs.length > 3 || !inits.has(conv.inputs[1])) continue;
      if (conv.inputs[2] !== undefined && !inits.has(conv.inputs[2])) continue;
      const w = inits.get(conv.inputs[1])!;
      const M = w.shape[0];
      const sh = scaleInit.shape;
      // One value per output channel, on axis 1 of NCHW: [M, 1, 1] or [1, M, 1, 1].
      if (sizeOf(sh) !== M || sh.length < 3 || sh[sh.length - 3] !== M || sh.length > 4) continue;
      const [wSrc, bSrc] = [conv.inputs[1], conv.inputs[2]];
      const per = sizeOf(w.shape) / M;
      const weight = freshName(`${conv.name}.weight_scaled`);
      inits.set(weight, {
        name: weight, shape: w.shape, trainable: true,
        derive: () => {
          const v = values(wSrc).slice();
          const k = values(s);
          for (let j = 0; j < v.length; j++) v[j] *= k[Math.floor(j / per)];
          return v;
        },
      });
      const inputs = [conv.inputs[0], weight];
      if (bSrc !== undefined) {
        const bias = freshName(`${conv.name}.bias_scaled`);
        inits.set(bias, {
          name: bias, shape: [M], trainable: true,
          derive: () => {
            const v = values(bSrc).slice();
            const k = values(s);
            for (let m = 0; m < M; m++) v[m] *= k[m];
            return v;
          },
        });
        inputs.push(bias);
      }
      g.remove(i);
      g.replace(c, { ...conv, inputs, outputs: mul.outputs });
      found.push(mul.name);
      break;
    }
  }
  return found;
}

/**
 * torch writes a Linear over the last axis of an N-d tensor as MatMul then Add(bias): imported
 * as Reshape -> fc -> Reshape, then a broadcast add. The bias becomes the fc's own (one pass
 * over the output fewer). Returns the folded Adds.
 */
export function foldLinearBiases({ g, graph, outputs, inits }: PassContext): string[] {
  const found: string[] = [];
  for (const f of g.indicesOf('fc')) {
    const fc = g.node(f);
    if (!fc || fc.inputs.length !== 2 || (fc.attrs as { activation?: unknown }).activation) continue;
    const r = onlyReader(g, outputs, fc.outputs[0]);
    const reshape = r === undefined ? undefined : g.node(r)!;
    if (r === undefined || reshape?.op !== 'reshape') continue;
    const a = onlyReader(g, outputs, reshape.outputs[0]);
    const add = a === undefined ? undefined : g.node(a)!;
    if (a === undefined || add?.op !== 'add') continue;
    const bias = add.inputs[0] === reshape.outputs[0] ? add.inputs[1] : add.inputs[0];
    const init = inits.get(bias);
    const M = graph.shape(fc.outputs[0])[1];
    if (!init || init.shape.length !== 1 || init.shape[0] !== M || !sameDims(graph.shape(add.outputs[0]), graph.shape(reshape.outputs[0]))) continue;
    g.remove(a);
    g.replace(f, { ...fc, inputs: [...fc.inputs, bias] });
    g.replace(r, { ...reshape, outputs: add.outputs });
    found.push(add.name);
  }
  return found;
}

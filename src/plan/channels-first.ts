/**
 * ConvNeXt's blocks as torch exports them run channels-last (Transpose to NHWC, LayerNorm and
 * Linear over the last axis, Transpose back). This rewrites such a region channels-first, so
 * the two physical transposes disappear and each Linear becomes a 1x1 conv that takes its
 * bias, the layer scale, the activation and the residual add into its epilogue.
 */
import type { Node } from '../graph/graph.js';
import { sizeOf } from '../graph/graph.js';
import { onlyReader, sameDims, type PassContext } from './rewriter.js';

/** Pointwise ops that do not care about layout: channels-last and channels-first alike. */
const LAYOUT_FREE_UNARY = new Set<string>(['relu', 'clip', 'leakyrelu', 'tanh', 'sigmoid', 'erf', 'sqrt', 'gelu', 'silu', 'hardswish', 'hardsigmoid', 'qdq']);
const LAYOUT_FREE_BINARY = new Set<string>(['add', 'mul', 'sub', 'div', 'pow']);

/**
 * ConvNeXt's channels-last blocks run channels-first, without the two physical transposes:
 * a region of the graph entered by Transpose [0, 2, 3, 1] of an N x C x H x W tensor and left
 * only by Transposes [0, 3, 1, 2], holding only layer norms over the last axis, Linear layers
 * over the last axis (Reshape [-1, C] -> fc -> Reshape back, as webconv imports MatMul) and
 * pointwise ops whose constants are scalars or one per channel, is rewritten in NCHW: layer
 * norm over axis 1, each Linear a 1x1 conv (the same weights: fc's [M, K] is conv's
 * [M, K, 1, 1]) with the bias Add that follows and a per-channel scale (ConvNeXt's layer
 * scale) folded in, per-channel constants as [C, 1, 1]. Returns the entering transposes.
 */
export function runChannelsFirst({ g, graph, outputs, inits, values, freshName }: PassContext): string[] {
  const found: string[] = [];
  const isPerm = (n: Node | undefined, p: readonly number[]) => n?.op === 'transpose' && sameDims((n.attrs as { perm: number[] }).perm, p);
  const perChannel = (t: string, c: number) => {
    const init = inits.get(t);
    return init !== undefined && sizeOf(init.shape) === c && (c === 1 || init.shape[init.shape.length - 1] === c) && init.shape.length <= 4;
  };
  for (const i of g.indicesOf('transpose')) {
    const t1 = g.node(i);
    if (!t1 || !isPerm(t1, [0, 2, 3, 1])) continue;
    const xs = graph.shape(t1.inputs[0]);
    if (xs.length !== 4) continue;
    const [N, , H, W] = xs;
    const nhwc = (t: string) => {
      const s = graph.shape(t);
      return s.length === 4 && s[0] === N && s[1] === H && s[2] === W ? s[3] : undefined;
    };
    /** Region tensors (channels-last) -> channels. */
    const tensors = new Map<string, number>([[t1.outputs[0], xs[1]]]);
    const region = new Set<number>();
    const exits = new Set<number>();
    /** Linear units: the final reshape's index -> [first reshape, fc]. */
    const units = new Map<number, [number, number]>();
    const queue = [t1.outputs[0]];
    let ok = true;
    const admit = (k: number, out: string) => {
      region.add(k);
      const c = nhwc(out);
      if (c === undefined) ok = false;
      else if (!tensors.has(out)) {
        tensors.set(out, c);
        queue.push(out);
      }
    };
    while (ok && queue.length) {
      const t = queue.shift()!;
      if (outputs.has(t)) ok = false;
      for (const r of g.readers(t)) {
        if (!ok || region.has(r) || exits.has(r) || [...units.values()].some(([a, b]) => a === r || b === r)) continue;
        const n = g.node(r)!;
        if (isPerm(n, [0, 3, 1, 2])) {
          exits.add(r);
        } else if (n.op === 'layernorm' && (n.attrs as { axis: number }).axis === 3 && (n.attrs as { count: number }).count === 0 && n.inputs[0] === t) {
          admit(r, n.outputs[0]);
        } else if (LAYOUT_FREE_UNARY.has(n.op) && n.inputs.length === 1) {
          admit(r, n.outputs[0]);
        } else if (LAYOUT_FREE_BINARY.has(n.op) && n.inputs.length === 2) {
          admit(r, n.outputs[0]);
        } else if (n.op === 'reshape' && sameDims(graph.shape(n.outputs[0]), [N * H * W, tensors.get(t)!])) {
          const f = onlyReader(g, outputs, n.outputs[0]);
          const fc = f === undefined ? undefined : g.node(f)!;
          if (f === undefined || fc?.op !== 'fc' || fc.inputs[0] !== n.outputs[0] || (fc.attrs as { activation?: unknown }).activation || !inits.has(fc.inputs[1])) {
            ok = false;
            continue;
          }
          const b = onlyReader(g, outputs, fc.outputs[0]);
          const back = b === undefined ? undefined : g.node(b)!;
          const M = graph.shape(fc.outputs[0])[1];
          if (b === undefined || back?.op !== 'reshape' || !sameDims(graph.shape(back.outputs[0]), [N, H, W, M])) {
            ok = false;
            continue;
          }
          units.set(b, [r, f]);
          admit(b, back.outputs[0]);
        } else {
          ok = false;
        }
      }
    }
    if (!ok || exits.size === 0) continue;
    // Every operand of the pointwise ops: a region tensor of the same shape, a scalar, or one constant per channel.
    for (const k of region) {
      const n = g.node(k)!;
      if (units.has(k) || n.op === 'layernorm') continue;
      const c = tensors.get(n.outputs[0])!;
      const fine = n.inputs.every((t) => (tensors.has(t) && tensors.get(t) === c) || (inits.has(t) && (sizeOf(inits.get(t)!.shape) === 1 || perChannel(t, c))));
      if (!fine || !n.inputs.some((t) => tensors.has(t))) ok = false;
    }
    for (const x of exits) if (outputs.has(g.node(x)!.outputs[0])) ok = false;
    if (!ok) continue;

    // Rewrite. The region's tensors keep their names; they now hold N x C x H x W.
    // A region tensor read only by exits takes the first exit's name (whose shape in `graph`
    // is already NCHW, as later passes read it); the other exits' readers read it under that name.
    const outName = new Map<string, string>();
    for (const x of exits) {
      const { inputs: [t], outputs: [o] } = g.node(x)!;
      if (!outName.has(t) && [...g.readers(t)].every((r) => exits.has(r)) && g.producer(t) !== undefined && region.has(g.producer(t)!)) outName.set(t, o);
    }
    const rename = new Map<string, string>([[t1.outputs[0], t1.inputs[0]]]);
    for (const x of exits) {
      const { inputs: [t], outputs: [o] } = g.node(x)!;
      const to = outName.get(t) ?? t;
      if (to !== o) rename.set(o, to);
    }
    const named = (outs: readonly string[]) => outs.map((t) => outName.get(t) ?? t);
    const renamed = (t: string) => {
      let u = t;
      while (rename.has(u)) u = rename.get(u)!;
      return u;
    };
    const asColumn = (t: string, c: number) => {
      if (!inits.has(t) || sizeOf(inits.get(t)!.shape) === 1) return t;
      const name = freshName(`${t}.nchw`);
      inits.set(name, { name, shape: [c, 1, 1], trainable: inits.get(t)!.trainable, derive: () => values(t).slice() });
      return name;
    };
    const folded = new Set<number>();
    for (const k of region) {
      const n = g.node(k)!;
      if (folded.has(k)) continue;
      const unit = units.get(k);
      if (unit) {
        const [first, f] = unit;
        const fc = g.node(f)!;
        const [M, K] = inits.get(fc.inputs[1])!.shape;
        const wSrc = fc.inputs[1];
        let bSrc: string | undefined = fc.inputs[2];
        let scale: string | undefined;
        let last = k;
        // The bias Add torch writes after a MatMul, then a per-channel Mul (layer scale).
        const next = (op: string) => {
          const r = onlyReader(g, outputs, g.node(last)!.outputs[0]);
          const m = r === undefined ? undefined : g.node(r)!;
          if (r === undefined || !region.has(r) || m?.op !== op) return undefined;
          const o = m.inputs[0] === g.node(last)!.outputs[0] ? m.inputs[1] : m.inputs[0];
          return perChannel(o, M) && o !== g.node(last)!.outputs[0] ? ([r, o] as const) : undefined;
        };
        const add = bSrc === undefined ? next('add') : undefined;
        if (add) {
          folded.add(add[0]);
          bSrc = add[1];
          last = add[0];
        }
        const mul = next('mul');
        if (mul) {
          folded.add(mul[0]);
          scale = mul[1];
          last = mul[0];
        }
        const weight = freshName(`${fc.name}.conv1x1`);
        inits.set(weight, {
          name: weight, shape: [M, K, 1, 1], trainable: true,
          derive: () => {
            const w = values(wSrc).slice();
            if (scale) {
              const s = values(scale);
              for (let m = 0; m < M; m++) for (let c = 0; c < K; c++) w[m * K + c] *= s[m];
            }
            return w;
          },
        });
        const inputs = [renamed(g.node(first)!.inputs[0]), weight];
        if (bSrc !== undefined) {
          const b = bSrc;
          const bias = freshName(`${fc.name}.conv1x1_bias`);
          inits.set(bias, {
            name: bias, shape: [M], trainable: true,
            derive: () => {
              const v = values(b).slice();
              if (scale) {
                const s = values(scale);
                for (let m = 0; m < M; m++) v[m] *= s[m];
              }
              return v;
            },
          });
          inputs.push(bias);
        }
        const outs = g.node(last)!.outputs;
        g.remove(first);
        g.remove(f);
        for (const extra of [add?.[0], mul?.[0]]) if (extra !== undefined) g.remove(extra);
        g.replace(k, {
          name: fc.name, op: 'conv2d', inputs, outputs: named(outs), layer: fc.layer, ...(fc.block ? { block: fc.block } : {}),
          attrs: { kernel: [1, 1], stride: [1, 1], pads: [0, 0, 0, 0], dilation: [1, 1], ceilMode: false, groups: 1 },
        });
        continue;
      }
      if (n.op === 'layernorm') {
        g.replace(k, { ...n, inputs: n.inputs.map(renamed), outputs: named(n.outputs), attrs: { ...n.attrs, axis: 1, count: 1 } });
        continue;
      }
      const c = tensors.get(n.outputs[0])!;
      g.replace(k, { ...n, inputs: n.inputs.map((t) => asColumn(renamed(t), c)), outputs: named(n.outputs) });
    }
    for (const x of exits) {
      const n = g.node(x)!;
      for (const r of [...g.readers(n.outputs[0])]) {
        const m = g.node(r)!;
        g.replace(r, { ...m, inputs: m.inputs.map(renamed) });
      }
      g.remove(x);
    }
    g.remove(i);
    // Cost-table rows: each layer norm and pointwise op joins the row of the layer before it,
    // as the importer puts elementwise ops (the transposes they followed are gone).
    for (const k of region) {
      const n = g.node(k);
      if (!n || n.op === 'conv2d') continue;
      const from = n.inputs.find((t) => !inits.has(t));
      const p = from === undefined ? undefined : g.producer(from);
      if (p !== undefined) g.replace(k, { ...n, layer: g.node(p)!.layer });
    }
    found.push(t1.name);
  }
  return found;
}

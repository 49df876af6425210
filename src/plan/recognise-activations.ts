/**
 * torch's opset-13 exports of the activations ONNX had no op for then: nn.SiLU as
 * Mul(x, Sigmoid(x)), nn.Hardswish as Mul(x, HardSigmoid(x)), and the exact nn.GELU as a
 * five-node Erf chain. Each is recognised as the one IR op it is (silu, hardswish, gelu), so
 * it reads and writes the tensor once instead of two to five times, and a conv or fc before it
 * can take it into its epilogue (optimizeGraph runs these before fusing activations).
 */
import type { Node } from '../graph/graph.js';
import { typed } from '../ops/attrs.js';
import { onlyReader, type Rewriter } from './rewriter.js';

/** Replaces node `last` by one `op` node over `x` with `last`'s outputs, name and layer, and removes `gone`. */
function collapseInto(g: Rewriter, last: number, gone: readonly number[], op: 'silu' | 'hardswish' | 'gelu', x: string): string {
  const n = g.node(last)!;
  for (const i of gone) g.remove(i);
  g.replace(last, { name: n.name, op, inputs: [x], outputs: n.outputs, attrs: {}, layer: n.layer, ...(n.block ? { block: n.block } : {}) });
  return n.name;
}

/**
 * torch's opset-13 exports of nn.SiLU, Mul(x, Sigmoid(x)), and nn.Hardswish, Mul(x,
 * HardSigmoid(x; 1/6, 1/2)), either operand order: one silu / hardswish node (one pass over
 * the tensor instead of two, and an activation a conv epilogue can fuse).
 */
export function recogniseGatedActivations(g: Rewriter, outputs: ReadonlySet<string>): string[] {
  const found: string[] = [];
  for (const i of g.indicesOf('mul')) {
    const mul = g.node(i);
    if (!mul) continue;
    for (const [gate, x] of [[mul.inputs[0], mul.inputs[1]], [mul.inputs[1], mul.inputs[0]]]) {
      const s = g.producer(gate);
      const sn = s === undefined ? undefined : typed(g.node(s)!);
      if (s === undefined || !sn || sn.inputs[0] !== x || onlyReader(g, outputs, gate) !== i) continue;
      const torchHardSigmoid = sn.op === 'hardsigmoid' && Math.abs(sn.attrs.alpha - 1 / 6) < 1e-6 && Math.abs(sn.attrs.beta - 0.5) < 1e-7;
      if (sn.op !== 'sigmoid' && !torchHardSigmoid) continue;
      found.push(collapseInto(g, i, [s], sn.op === 'sigmoid' ? 'silu' : 'hardswish', x));
      break;
    }
  }
  return found;
}

/**
 * torch's opset-13 export of the exact nn.GELU: Div(x, sqrt 2) (or Mul(x, 1/sqrt 2)) -> Erf ->
 * Add(1) -> Mul(x) -> Mul(0.5), or with the two Muls the other way round (Mul(0.5) then
 * Mul(x)), operands in either order: one gelu node.
 */
export function recogniseGelu(g: Rewriter, outputs: ReadonlySet<string>, scalar: (t: string) => number | undefined, shape: (t: string) => readonly number[]): string[] {
  const found: string[] = [];
  const near = (v: number | undefined, want: number) => v !== undefined && Math.abs(v - want) <= 1e-6 * Math.abs(want);
  /** The operand of binary node n that is not `t` (n reads t once). */
  const other = (n: Node, t: string) => (n.inputs[0] === t ? n.inputs[1] : n.inputs[0]);
  for (const e of g.indicesOf('erf')) {
    const erf = g.node(e);
    if (!erf) continue;
    const d = g.producer(erf.inputs[0]);
    const scale = d === undefined ? undefined : g.node(d)!;
    if (d === undefined || !scale || onlyReader(g, outputs, erf.inputs[0]) !== e) continue;
    let x: string | undefined;
    if (scale.op === 'div' && near(scalar(scale.inputs[1]), Math.SQRT2)) x = scale.inputs[0];
    else if (scale.op === 'mul' && near(scalar(scale.inputs[1]), Math.SQRT1_2)) x = scale.inputs[0];
    else if (scale.op === 'mul' && near(scalar(scale.inputs[0]), Math.SQRT1_2)) x = scale.inputs[1];
    if (x === undefined) continue;
    const a = onlyReader(g, outputs, erf.outputs[0]);
    const add = a === undefined ? undefined : g.node(a)!;
    if (a === undefined || add?.op !== 'add' || !near(scalar(other(add, erf.outputs[0])), 1)) continue;
    const m1 = onlyReader(g, outputs, add.outputs[0]);
    const mul1 = m1 === undefined ? undefined : g.node(m1)!;
    if (m1 === undefined || mul1?.op !== 'mul') continue;
    const m2 = onlyReader(g, outputs, mul1.outputs[0]);
    const mul2 = m2 === undefined ? undefined : g.node(m2)!;
    if (m2 === undefined || mul2?.op !== 'mul') continue;
    const first = other(mul1, add.outputs[0]);
    const second = other(mul2, mul1.outputs[0]);
    const ok = (first === x && near(scalar(second), 0.5)) || (second === x && near(scalar(first), 0.5));
    // A constant of higher rank would broadcast x to another shape: not a plain gelu.
    if (!ok || shape(x).join() !== shape(mul2.outputs[0]).join()) continue;
    found.push(collapseInto(g, m2, [d, e, a, m1], 'gelu', x));
  }
  return found;
}

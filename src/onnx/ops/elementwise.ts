/** Add, Sub, Mul, Div: folded on constants, IR ops (add, sub, mul, div) on runtime tensors; Pow an IR op. */
import { nodeLabel } from '../attributes.js';
import * as fold from '../fold.js';
import { spec, type OpHandler, type Step } from '../step.js';

/**
 * Before opset 7, Add/Mul/Sub/Div broadcast only with broadcast=1, B's dims matching A's
 * from `axis` on. Trailing 1s make that NumPy broadcasting, which the IR implements.
 */
function legacyBroadcast(s: Step): string | undefined {
  if (s.opset >= 7 || s.attrs.int('broadcast', 0) !== 1) return undefined;
  const a = s.shape(0);
  const b = s.shape(1);
  const axis = s.attrs.int('axis', a.length - b.length);
  const trailing = a.length - axis - b.length;
  if (axis < 0 || trailing < 0) return s.invalid(`B [${b}] does not fit A [${a}] at axis ${axis}`);
  if (trailing === 0) return undefined;
  const dims = [...b, ...new Array<number>(trailing).fill(1)];
  const out = s.im.freshTensorName(`${s.input(1)}.bcast`);
  if (s.isConst(1)) {
    s.im.consts.set(out, fold.withShape(s.konst(1), dims));
    return out;
  }
  s.im.addNode(`${nodeLabel(s.msg)}.bcast`, 'reshape', [s.input(1)], out, { shape: dims, allowzero: false }, [], s.where);
  return out;
}

const IR_OP = { Add: 'add', Sub: 'sub', Mul: 'mul', Div: 'div' } as const;

function arithmetic(kind: 'Add' | 'Sub' | 'Mul' | 'Div'): OpHandler {
  return {
    inputs: () => spec('A B'),
    run: (s) => {
      const b = legacyBroadcast(s) ?? s.input(1);
      if (s.isConst(0) && s.im.isConst(b)) return s.define(fold.binary(kind, s.konst(0), s.im.konst(b, s), s.where, s.im.foldLimit));
      s.emit(IR_OP[kind], [s.input(0), b], {});
    },
  };
}

export const add = arithmetic('Add');
export const sub = arithmetic('Sub');
export const mul = arithmetic('Mul');
export const div = arithmetic('Div');

/** Pow (X ** Y, NumPy broadcasting, C's rules): one IR op, its exponent a tensor or a constant. */
export const pow: OpHandler = {
  inputs: () => spec('X Y'),
  run: (s) => s.emit('pow', [s.input(0), s.input(1)], {}),
};

/** Identity and Dropout (the identity at inference): folded on constants, `identity`/`dropout` otherwise. */
import * as fold from '../fold.js';
import { spec, type OpHandler } from '../step.js';

export const identity: OpHandler = {
  inputs: () => spec('input'),
  run: (s) => {
    if (s.isConst(0)) return s.define(s.konst(0));
    s.emit('identity', [s.input(0)], {});
  },
};

export const dropout: OpHandler = {
  inputs: (opset) => (opset < 12 ? spec('data') : spec('data ratio training_mode', 1)),
  run: (s) => {
    if (s.outputUsed(1)) return s.unsupported('Dropout mask output');
    if (s.opset < 7 && s.attrs.int('is_test', 0) === 0) return s.unsupported('Dropout is_test=0 (training)');
    // At inference Dropout is the identity whatever the ratio, so a computed ratio is harmless.
    let ratio: number | undefined = s.attrs.float('ratio', 0.5);
    if (s.opset >= 12) {
      ratio = !s.has(1) ? 0.5 : s.isConst(1) ? fold.scalarValue(s.konst(1), `${s.where}, input 1 (ratio) '${s.input(1)}'`) : undefined;
      if (s.has(2) && (!s.isConst(2) || fold.scalarValue(s.konst(2), `${s.where}, input 2 (training_mode) '${s.input(2)}'`) !== 0)) return s.unsupported('Dropout training_mode');
    }
    if (s.isConst(0)) return s.define(s.konst(0));
    s.emit('dropout', [s.input(0)], ratio === undefined ? {} : { ratio });
  },
};

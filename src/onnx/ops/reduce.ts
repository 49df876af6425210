/**
 * ReduceMean, ReduceSum, ReduceMax: one IR reduction over resolved axes. A mean or max over
 * [2, 3] of an N x C x H x W tensor is a global pooling (MNASNet's x.mean([2, 3])): it goes
 * to globalavgpool / globalmaxpool, with a reshape to [N, C] when keepdims is 0.
 */
import { nodeLabel } from '../attributes.js';
import { spec, type OpHandler, type Step } from '../step.js';

type Kind = 'ReduceMean' | 'ReduceSum' | 'ReduceMax';

const IR = { ReduceMean: 'reducemean', ReduceSum: 'reducesum', ReduceMax: 'reducemax' } as const;
const GLOBAL = { ReduceMean: 'globalavgpool', ReduceMax: 'globalmaxpool' } as const;

/** The opset from which an op's axes are an input rather than an attribute. */
const AXES_INPUT_FROM: Record<Kind, number> = { ReduceMean: 18, ReduceSum: 13, ReduceMax: 18 };

function reduce(kind: Kind): OpHandler {
  return {
    inputs: (opset) => (opset >= AXES_INPUT_FROM[kind] ? spec('data axes', 1) : spec('data')),
    run: (s: Step) => {
      const x = s.shape(0);
      const axesInput = s.opset >= AXES_INPUT_FROM[kind];
      let axes: number[] | undefined;
      if (axesInput) {
        if (s.has(1)) {
          axes = s.constInts(1);
          if (!axes) return s.unsupported(`${kind} with computed axes`);
        }
      } else {
        axes = s.attrs.ints('axes');
      }
      const keepdims = s.attrs.int('keepdims', 1) === 1;
      if (!axes || axes.length === 0) {
        if (axesInput && s.attrs.int('noop_with_empty_axes', 0) === 1) return s.emit('identity', [s.input(0)], {});
        axes = x.map((_, i) => i);
      }
      const resolved = axes.map((a) => (a < 0 ? a + x.length : a));
      if (resolved.some((a) => a < 0 || a >= x.length)) return s.invalid(`axes [${axes}] out of range for rank ${x.length}`);
      if (new Set(resolved).size !== resolved.length) return s.invalid(`axes [${axes}] repeat an axis`);
      resolved.sort((a, b) => a - b);
      if (kind !== 'ReduceSum' && x.length === 4 && resolved.length === 2 && resolved[0] === 2 && resolved[1] === 3) {
        if (keepdims) return s.emit(GLOBAL[kind], [s.input(0)], {});
        const pooled = s.im.freshTensorName(`${s.input(0)}.pooled`);
        s.im.addNode(`${nodeLabel(s.msg)}.pool`, GLOBAL[kind], [s.input(0)], pooled, {}, [], s.where);
        return s.emit('reshape', [pooled], { shape: [x[0], x[1]], allowzero: false });
      }
      s.emit(IR[kind], [s.input(0)], { axes: resolved, keepdims });
    },
  };
}

export const reduceMean = reduce('ReduceMean');
export const reduceSum = reduce('ReduceSum');
export const reduceMax = reduce('ReduceMax');

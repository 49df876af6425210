// Reductions (ReduceSum / ReduceMean / ReduceMax) over any axes, as the loops of
// src/ops/reduce.ts reduceLayout: four kept groups (the output, row-major) and four reduced
// groups, each an extent and a stride of x in elements. Two vector paths: when the innermost
// kept group is contiguous, four neighbouring outputs share every load (a mean over H and W
// of NHWC, a mean over C of NCHW); when the innermost reduced group is contiguous, one output
// is reduced four lanes at a time (a mean over the last axis). Else scalar.
import { pf, pi, pp } from './params';
import { Reduce } from './params.generated';
import { hmax, hsum } from './vector';

@inline const OP_SUM = 0;
@inline const OP_MAX = 2;

@inline function vcombine(op: i32, a: v128, b: v128): v128 {
  return op == OP_MAX ? f32x4.max(a, b) : f32x4.add(a, b);
}

@inline function combine(op: i32, a: f32, b: f32): f32 {
  // f32.max keeps NaN, as numpy and PyTorch.
  return op == OP_MAX ? max(a, b) : a + b;
}

/** f32_reduce__wasmsimd: op 0 sum, 1 mean (sum times `scale`, 1 / count), 2 max. */
export function f32_reduce__wasmsimd(p: usize): void {
  const x = pp(p, Reduce.X), y = pp(p, Reduce.Y), op = pi(p, Reduce.OP), scale = pf(p, Reduce.SCALE);
  const kd0 = pi(p, Reduce.KD), kd1 = pi(p, Reduce.KD + 1), kd2 = pi(p, Reduce.KD + 2), kd3 = pi(p, Reduce.KD + 3);
  const ks0 = pi(p, Reduce.KS), ks1 = pi(p, Reduce.KS + 1), ks2 = pi(p, Reduce.KS + 2), ks3 = pi(p, Reduce.KS + 3);
  const rd0 = pi(p, Reduce.RD), rd1 = pi(p, Reduce.RD + 1), rd2 = pi(p, Reduce.RD + 2), rd3 = pi(p, Reduce.RD + 3);
  const rs0 = pi(p, Reduce.RS), rs1 = pi(p, Reduce.RS + 1), rs2 = pi(p, Reduce.RS + 2), rs3 = pi(p, Reduce.RS + 3);
  const init: f32 = op == OP_MAX ? -Infinity : 0;
  const vinit = f32x4.splat(init);
  const mean = op != OP_SUM && op != OP_MAX;
  const vscale = f32x4.splat(scale);
  let yp = y;
  for (let k0 = 0; k0 < kd0; k0++) for (let k1 = 0; k1 < kd1; k1++) for (let k2 = 0; k2 < kd2; k2++) {
    const base = x + ((<usize>(k0 * ks0 + k1 * ks1 + k2 * ks2)) << 2);
    let k3 = 0;
    if (ks3 == 1) {
      for (; k3 + 4 <= kd3; k3 += 4) {
        const b = base + (<usize>k3 << 2);
        let vacc = vinit;
        for (let r0 = 0; r0 < rd0; r0++) for (let r1 = 0; r1 < rd1; r1++) for (let r2 = 0; r2 < rd2; r2++) {
          let at = b + ((<usize>(r0 * rs0 + r1 * rs1 + r2 * rs2)) << 2);
          const step = <usize>rs3 << 2;
          for (let r3 = 0; r3 < rd3; r3++, at += step) vacc = vcombine(op, vacc, v128.load(at));
        }
        v128.store(yp, mean ? f32x4.mul(vacc, vscale) : vacc);
        yp += 16;
      }
    }
    for (; k3 < kd3; k3++) {
      const b = base + ((<usize>(k3 * ks3)) << 2);
      let acc = init;
      for (let r0 = 0; r0 < rd0; r0++) for (let r1 = 0; r1 < rd1; r1++) for (let r2 = 0; r2 < rd2; r2++) {
        const row = b + ((<usize>(r0 * rs0 + r1 * rs1 + r2 * rs2)) << 2);
        let r3 = 0;
        if (rs3 == 1 && rd3 >= 8) {
          let vacc0 = vinit, vacc1 = vinit;
          for (; r3 + 8 <= rd3; r3 += 8) {
            const at = row + (<usize>r3 << 2);
            vacc0 = vcombine(op, vacc0, v128.load(at));
            vacc1 = vcombine(op, vacc1, v128.load(at, 16));
          }
          const v = vcombine(op, vacc0, vacc1);
          acc = combine(op, acc, op == OP_MAX ? hmax(v) : hsum(v));
        }
        for (; r3 < rd3; r3++) acc = combine(op, acc, load<f32>(row + ((<usize>(r3 * rs3)) << 2)));
      }
      store<f32>(yp, mean ? acc * scale : acc);
      yp += 4;
    }
  }
}

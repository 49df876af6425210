// f32 depthwise convolution (groups == input channels, one or more outputs per channel),
// NCHW. Each input plane is copied into a zero-bordered scratch plane so the inner loops
// need no bounds tests; four output columns are computed per v128. Stride 1 loads four
// neighbours at once; stride 2 loads eight and keeps the even lanes; other strides gather.
import { activate, activatesLater, activateRows, activateSimple, countMacs, madd, pf, pi, pp } from './params';
import { Dwconv } from './params.generated';

// Parameter block: Dwconv (assembly/params.json). The share of the work this call does:
// input channels [C0, C1).

/** f32_dwconv2d__wasmsimd */
export function f32_dwconv2d__wasmsimd(p: usize): void {
  const x = pp(p, Dwconv.X), w = pp(p, Dwconv.W), bias = pp(p, Dwconv.BIAS), res = pp(p, Dwconv.RES), y = pp(p, Dwconv.Y), pad = pp(p, Dwconv.PAD);
  const Cin = pi(p, Dwconv.C), Hin = pi(p, Dwconv.H), Win = pi(p, Dwconv.WD), Mout = pi(p, Dwconv.M), Oh = pi(p, Dwconv.OH), Ow = pi(p, Dwconv.OW);
  const Kh = pi(p, Dwconv.KH), Kw = pi(p, Dwconv.KW), sh = pi(p, Dwconv.SH), sw = pi(p, Dwconv.SW);
  const pt = pi(p, Dwconv.PT), pl = pi(p, Dwconv.PL), pb = pi(p, Dwconv.PB), pr = pi(p, Dwconv.PR), dh = pi(p, Dwconv.DH), dw = pi(p, Dwconv.DW);
  const act = pi(p, Dwconv.ACT), s0 = pf(p, Dwconv.A0), s1 = pf(p, Dwconv.A1);
  const a0 = f32x4.splat(s0), a1 = f32x4.splat(s1);
  const mult = Mout / Cin;
  const PH = Hin + pt + pb;
  const PW = Win + pl + pr;
  const pwBytes = <usize>PW << 2;
  const planeBytes = (<usize>Hin * <usize>Win) << 2;
  const outPlane = <usize>Oh * <usize>Ow;
  const Ow4 = Ow & ~3;
  // The zero border never changes: clear the whole scratch plane once, then copy rows in.
  memory.fill(pad, 0, (<usize>PH * pwBytes) + 64);
  for (let c = pi(p, Dwconv.C0), cEnd = pi(p, Dwconv.C1); c < cEnd; c++) {
    const src = x + <usize>c * planeBytes;
    for (let h = 0; h < Hin; h++) {
      memory.copy(pad + <usize>(h + pt) * pwBytes + (<usize>pl << 2), src + ((<usize>h * <usize>Win) << 2), <usize>Win << 2);
    }
    for (let q = 0; q < mult; q++) {
      const m = c * mult + q;
      const wm = w + ((<usize>m * <usize>Kh * <usize>Kw) << 2);
      const b = bias ? v128.load32_splat(bias + (<usize>m << 2)) : f32x4.splat(0);
      const yPlane = y + ((<usize>m * outPlane) << 2);
      const rPlane = res ? res + ((<usize>m * outPlane) << 2) : 0;
      for (let oh = 0; oh < Oh; oh++) {
        const yRow = yPlane + ((<usize>oh * <usize>Ow) << 2);
        let ow = 0;
        for (; ow < Ow4; ow += 4) {
          let vacc = b;
          for (let i = 0; i < Kh; i++) {
            const row = pad + <usize>(oh * sh + i * dh) * pwBytes;
            for (let j = 0; j < Kw; j++) {
              const vw = v128.load32_splat(wm + (<usize>(i * Kw + j) << 2));
              const at = row + (<usize>(ow * sw + j * dw) << 2);
              let vx: v128;
              if (sw == 1) {
                vx = v128.load(at);
              } else if (sw == 2) {
                vx = v128.shuffle<f32>(v128.load(at), v128.load(at, 16), 0, 2, 4, 6);
              } else {
                const s = <usize>sw << 2;
                vx = f32x4(load<f32>(at), load<f32>(at + s), load<f32>(at + 2 * s), load<f32>(at + 3 * s));
              }
              vacc = madd(vw, vx, vacc);
            }
          }
          countMacs(<f64>(Kh * Kw * 4));
          if (rPlane) vacc = f32x4.add(vacc, v128.load(rPlane + ((<usize>oh * <usize>Ow + <usize>ow) << 2)));
          v128.store(yRow + (<usize>ow << 2), activate(vacc, act, a0, a1));
        }
        for (; ow < Ow; ow++) {
          let s: f32 = f32x4.extract_lane(b, 0);
          for (let i = 0; i < Kh; i++) {
            const row = pad + <usize>(oh * sh + i * dh) * pwBytes;
            for (let j = 0; j < Kw; j++) {
              s += load<f32>(wm + (<usize>(i * Kw + j) << 2)) * load<f32>(row + (<usize>(ow * sw + j * dw) << 2));
            }
          }
          countMacs(<f64>(Kh * Kw));
          if (rPlane) s += load<f32>(rPlane + ((<usize>oh * <usize>Ow + <usize>ow) << 2));
          store<f32>(yRow + (<usize>ow << 2), f32x4.extract_lane(activateSimple(f32x4.splat(s), act, a0, a1), 0));
        }
      }
      // The columns past the last 4 take silu and gelu (params.ts) as a second pass, a
      // vector per row where the tail used one per float. The vector loop keeps them inline:
      // as a pass over the stored plane they ran a 28x28 plane 4.5% slower (the arithmetic
      // no longer overlaps the convolution's loads).
      if (Ow4 < Ow && activatesLater(act)) activateRows(yPlane + (<usize>Ow4 << 2), <usize>Ow << 2, Oh, Ow - Ow4, act, s0, s1);
    }
  }
}

// f32 depthwise convolution (groups == input channels, one or more outputs per channel),
// NCHW. Each input plane is copied into a zero-bordered scratch plane so the inner loops
// need no bounds tests; four output columns are computed per v128. Stride 1 loads four
// neighbours at once; stride 2 loads eight and keeps the even lanes; other strides gather.
//
// The same kernel runs int8 depthwise convs (qconv2d, src/ops/qconv2d.ts) exactly, on float32
// lanes: with MULT set, each plane is quantized as it is copied, to the integers xq - zero
// point (clamped, NaN at the lowest, padding 0: the zero point); the weights and the bias are
// integers. Every product and partial sum is then an integer below 2^24 in magnitude (the host
// checks |bias| + K * 128 * 255 < 2^24), which float32 holds exactly, so the sums are
// QLinearConv's int32 sums whatever the order, and float32(acc + bias) is onnxruntime's
// conversion. The epilogue requantizes as onnxruntime does (times the channel's multiplier,
// rounded to even, clamped to [a0, a1], times y's scale) in place of the activation.
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
  let act = pi(p, Dwconv.ACT);
  const s0 = pf(p, Dwconv.A0), s1 = pf(p, Dwconv.A1);
  const a0 = f32x4.splat(s0), a1 = f32x4.splat(s1);
  // int8: the requantization multipliers, and x's grid for the copies.
  const mult = pp(p, Dwconv.MULT);
  const xs = f32x4.splat(pf(p, Dwconv.XS)), xlo = pf(p, Dwconv.XLO);
  const qlo = f32x4.splat(xlo), qhi = f32x4.splat(xlo + 255), ys = f32x4.splat(pf(p, Dwconv.YS));
  if (mult) act = ACT_REQUANT;
  const perChannel = Mout / Cin;
  const PH = Hin + pt + pb;
  const PW = Win + pl + pr;
  const pwBytes = <usize>PW << 2;
  const planeBytes = (<usize>Hin * <usize>Win) << 2;
  const outPlane = <usize>Oh * <usize>Ow;
  const Ow4 = Ow & ~3;
  // MobileNet's and EfficientNet's windows (3x3, 5x5, stride 1 or 2, undilated) without a
  // residual: dwPlane.
  const square = !res && Kh == Kw && (Kh == 3 || Kh == 5) && (sw == 1 || sw == 2) && dh == 1 && dw == 1;
  // The zero border never changes: clear the whole scratch plane once, then copy rows in.
  memory.fill(pad, 0, (<usize>PH * pwBytes) + 64);
  for (let c = pi(p, Dwconv.C0), cEnd = pi(p, Dwconv.C1); c < cEnd; c++) {
    const src = x + <usize>c * planeBytes;
    for (let h = 0; h < Hin; h++) {
      const dst = pad + <usize>(h + pt) * pwBytes + (<usize>pl << 2), from = src + ((<usize>h * <usize>Win) << 2);
      if (mult) quantizeRow(dst, from, Win, xs, qlo, qhi);
      else copyRow(dst, from, Win);
    }
    for (let q = 0; q < perChannel; q++) {
      const m = c * perChannel + q;
      const vm = mult ? v128.load32_splat(mult + (<usize>m << 2)) : a0;
      const wm = w + ((<usize>m * <usize>Kh * <usize>Kw) << 2);
      const b = bias ? v128.load32_splat(bias + (<usize>m << 2)) : f32x4.splat(0);
      const yPlane = y + ((<usize>m * outPlane) << 2);
      const rPlane = res ? res + ((<usize>m * outPlane) << 2) : 0;
      if (square) {
        if (Kh == 3) {
          if (sw == 1) dwPlane<u32>(pad, pwBytes, wm, b, yPlane, Oh, Ow, sh, act, a0, a1, vm, ys);
          else dwPlane<u64>(pad, pwBytes, wm, b, yPlane, Oh, Ow, sh, act, a0, a1, vm, ys);
        } else if (sw == 1) dwPlane<f32>(pad, pwBytes, wm, b, yPlane, Oh, Ow, sh, act, a0, a1, vm, ys);
        else dwPlane<f64>(pad, pwBytes, wm, b, yPlane, Oh, Ow, sh, act, a0, a1, vm, ys);
        countMacs(<f64>(Kh * Kw) * <f64>outPlane);
        continue;
      }
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
          v128.store(yRow + (<usize>ow << 2), act == ACT_REQUANT ? requantize(vacc, vm, a0, a1, ys) : activate(vacc, act, a0, a1));
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
          const v = f32x4.splat(s);
          store<f32>(yRow + (<usize>ow << 2), f32x4.extract_lane(act == ACT_REQUANT ? requantize(v, vm, a0, a1, ys) : activateSimple(v, act, a0, a1), 0));
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

/**
 * One channel's output plane (Oh x Ow at y) from its zero-bordered plane at pad, for a K x K
 * window (K 3 or 5) at column stride s (1 or 2), both constants (windowSide, windowStride): per step 2 output rows
 * x 2 vectors of 4 columns, four accumulators. The loop above keeps one accumulator through
 * its K*K taps, a chain of dependent adds, and ran 3.5-4.7 GFLOP/s on MobileNetV2's planes;
 * four independent chains let the adds overlap. Each lane adds the taps in the same order
 * (bias, then row by row, column by column), so the result is the loop's, bit for bit. A row
 * or vector past the plane's edge repeats the last one and is not stored; a row's last
 * vector stores only its columns. Reads reach up to 7 floats past the window's last row (the
 * plane's 64 bytes of slack).
 */
@inline function dwPlane<T>(
  pad: usize, pwBytes: usize, wm: usize, b: v128, y: usize, Oh: i32, Ow: i32, sh: i32, act: i32, a0: v128, a1: v128, vm: v128, ys: v128,
): void {
  const K = windowSide<T>(), s = windowStride<T>();
  const vecs = (Ow + 3) >> 2;
  const rowStep = <usize>sh * pwBytes;
  const rowBytes = <usize>Ow << 2;
  for (let oh = 0; oh < Oh; oh += 2) {
    const two = oh + 1 < Oh;
    const in0 = pad + <usize>oh * rowStep;
    const in1 = two ? in0 + rowStep : in0;
    const out0 = y + <usize>oh * rowBytes;
    for (let v = 0; v < vecs; v += 2) {
      const ow0 = v << 2;
      const next = v + 1 < vecs;
      const ow1 = next ? ow0 + 4 : ow0;
      const dx0 = <usize>(ow0 * s) << 2, dx1 = <usize>(ow1 * s) << 2;
      let vacc00 = b, vacc01 = b, vacc10 = b, vacc11 = b;
      for (let i = 0; i < K; i++) {
        const wr = wm + <usize>(i * K) * 4;
        const o = <usize>i * pwBytes;
        vacc00 = windowRow<T>(in0 + o + dx0, wr, vacc00);
        vacc01 = windowRow<T>(in0 + o + dx1, wr, vacc01);
        vacc10 = windowRow<T>(in1 + o + dx0, wr, vacc10);
        vacc11 = windowRow<T>(in1 + o + dx1, wr, vacc11);
      }
      const n0 = min(4, Ow - ow0), n1 = next ? min(4, Ow - ow1) : 0;
      storeActivated(out0 + (<usize>ow0 << 2), vacc00, n0, act, a0, a1, vm, ys);
      storeActivated(out0 + (<usize>ow1 << 2), vacc01, n1, act, a0, a1, vm, ys);
      if (two) {
        storeActivated(out0 + rowBytes + (<usize>ow0 << 2), vacc10, n0, act, a0, a1, vm, ys);
        storeActivated(out0 + rowBytes + (<usize>ow1 << 2), vacc11, n1, act, a0, a1, vm, ys);
      }
    }
  }
}

// The window (side K, column stride s) as a type argument, so each of dwPlane's four copies
// is compiled with its own constants (as plain arguments, binaryen folds the four inlined
// copies into one loop that tests K and s at every tap): u32 3 x 3 stride 1, u64 3 x 3
// stride 2, f32 5 x 5 stride 1, f64 5 x 5 stride 2.
@inline function windowSide<T>(): i32 {
  return isFloat<T>() ? 5 : 3;
}

@inline function windowStride<T>(): i32 {
  return sizeof<T>() == 8 ? 2 : 1;
}

/**
 * acc + one row of a window's taps (K of them, weights at wr) for 4 output columns whose
 * window starts at `at`. Stride 2 takes the even and odd lanes of two loads (one shufps each).
 */
@inline function windowRow<T>(at: usize, wr: usize, acc: v128): v128 {
  if (windowStride<T>() == 1) {
    acc = madd(v128.load32_splat(wr), v128.load(at), acc);
    acc = madd(v128.load32_splat(wr, 4), v128.load(at, 4), acc);
    acc = madd(v128.load32_splat(wr, 8), v128.load(at, 8), acc);
    if (windowSide<T>() == 5) {
      acc = madd(v128.load32_splat(wr, 12), v128.load(at, 12), acc);
      acc = madd(v128.load32_splat(wr, 16), v128.load(at, 16), acc);
    }
    return acc;
  }
  const l0 = v128.load(at), l1 = v128.load(at, 16);
  const m0 = v128.load(at, 8), m1 = v128.load(at, 24);
  acc = madd(v128.load32_splat(wr), v128.shuffle<f32>(l0, l1, 0, 2, 4, 6), acc);
  acc = madd(v128.load32_splat(wr, 4), v128.shuffle<f32>(l0, l1, 1, 3, 5, 7), acc);
  acc = madd(v128.load32_splat(wr, 8), v128.shuffle<f32>(m0, m1, 0, 2, 4, 6), acc);
  if (windowSide<T>() == 5) {
    acc = madd(v128.load32_splat(wr, 12), v128.shuffle<f32>(m0, m1, 1, 3, 5, 7), acc);
    acc = madd(v128.load32_splat(wr, 16), v128.shuffle<f32>(l1, v128.load(at, 32), 0, 2, 4, 6), acc);
  }
  return acc;
}

/** Stores the first n (0..4) lanes of activate(v) (or v requantized) at `at`. Out of line: one copy of the activations. */
function storeActivated(at: usize, v: v128, n: i32, act: i32, a0: v128, a1: v128, vm: v128, ys: v128): void {
  if (n == 0) return;
  v = act == ACT_REQUANT ? requantize(v, vm, a0, a1, ys) : activate(v, act, a0, a1);
  if (n == 4) {
    v128.store(at, v);
    return;
  }
  v128.store32_lane(at, v, 0);
  if (n > 1) v128.store32_lane(at, v, 1, 4);
  if (n > 2) v128.store32_lane(at, v, 2, 8);
}

/** The act of an int8 conv: requantize in place of an activation (no activation code is negative). */
@inline const ACT_REQUANT = -1;

/**
 * int8: the sums float32(acc + bias) times the channel's multiplier m, rounded to even,
 * clamped to [lo, hi], + 0 (a step of -0 is +0, as (q - zero point) * scale gives), times ys:
 * the output's value on its grid, as QLinearConv -> DequantizeLinear give it.
 */
@inline function requantize(v: v128, m: v128, lo: v128, hi: v128, ys: v128): v128 {
  const q = f32x4.pmin(hi, f32x4.pmax(lo, f32x4.nearest(f32x4.mul(v, m))));
  return f32x4.mul(f32x4.add(q, f32x4.splat(0)), ys);
}

/**
 * int8: n floats of x quantized into dst as integers less the zero point, clamp(round(x / s),
 * lo, hi) (QuantizeLinear's division, ties to even; NaN at lo, as qdq), a vector at a time,
 * the last n % 4 one by one (the border stays 0).
 */
@inline function quantizeRow(dst: usize, src: usize, n: i32, s: v128, lo: v128, hi: v128): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), f32x4.pmin(hi, f32x4.pmax(lo, f32x4.nearest(f32x4.div(v128.load(src + (<usize>i << 2)), s)))));
  for (; i < n; i++) {
    const v = f32x4.pmin(hi, f32x4.pmax(lo, f32x4.nearest(f32x4.div(f32x4.splat(load<f32>(src + (<usize>i << 2))), s))));
    store<f32>(dst + (<usize>i << 2), f32x4.extract_lane(v, 0));
  }
}

/**
 * n floats from src to dst, a vector at a time, the last n % 4 one by one (so the plane's zero
 * border stays zero). memory.copy is a call out of wasm in V8: per row of a 56-wide plane it
 * cost about as much as the 3x3 window's arithmetic.
 */
@inline function copyRow(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), v128.load(src + (<usize>i << 2)));
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), load<f32>(src + (<usize>i << 2)));
}

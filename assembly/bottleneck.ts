// f32 inverted residual (MobileNetV2's block), NCHW, one image, computed in bands of output
// rows so the expanded tensor never exists whole:
//
//   E = act_e(We x + be)          1x1 expand (absent at expansion 1: E = x)
//   D = act_d(depthwise(E) + bk)  k x k, stride sh x sw
//   y = act_p(Wp D + bp [+ x])    1x1 project
//
// Per band of `rows` output rows: the input rows its depthwise window needs are expanded into
// E's band (the rows the previous band already expanded are moved up, not recomputed), the
// depthwise kernel (assembly/dwconv.ts, called per channel on the band as on a small image,
// the window's rows past the band's real rows as its padding) writes D's band, and the
// projection writes y. At expansion 1 the depthwise kernel reads x's rows directly. Both
// 1x1 convs run on the GEMM micro-kernel (assembly/gemm-ukernel.ts): A = packed weights,
// B = 8 pixels straight from x (NCHW: a run
// of pixels of a channel is contiguous, channels HW apart) or from D's band. E's band holds
// only real rows, `rows_in` per channel.
import { f32_dwconv2d__wasmsimd } from './dwconv';
import { f32_gemm_ukernel_4x8 } from './gemm-ukernel';
import { activatesLater, activateRows, activateSimple, pf, pi, pp } from './params';
import { Dwconv, InvertedResidual } from './params.generated';

@inline const MR = 4;
@inline const NR = 8;

// Parameter block: InvertedResidual (assembly/params.json); the share of the work this call
// does: output rows [OH0, OH1), in bands of ROWS.

/** f32_invertedresidual_4x8__wasmsimd */
export function f32_invertedresidual_4x8__wasmsimd(p: usize): void {
  const x = pp(p, InvertedResidual.X), e = pp(p, InvertedResidual.E), dwp = pp(p, InvertedResidual.DWP), d = pp(p, InvertedResidual.D);
  const wk = pp(p, InvertedResidual.WK), bk = pp(p, InvertedResidual.BK);
  const expand = pp(p, InvertedResidual.WE) != 0;
  // No project conv (wp 0): the depthwise rows go straight to y, [Ce][OH][OW].
  const y = pp(p, InvertedResidual.Y), projecting = pp(p, InvertedResidual.WP) != 0;
  const Hin = pi(p, InvertedResidual.H), Win = pi(p, InvertedResidual.WD), Ce = pi(p, InvertedResidual.CE), Ow = pi(p, InvertedResidual.OW);
  const yPlane = (<usize>pi(p, InvertedResidual.OH) * <usize>Ow) << 2;
  const Kh = pi(p, InvertedResidual.KH), Kw = pi(p, InvertedResidual.KW), sh = pi(p, InvertedResidual.SH), pt = pi(p, InvertedResidual.PT), dh = pi(p, InvertedResidual.DH);
  const rows = pi(p, InvertedResidual.ROWS), rowsIn = pi(p, InvertedResidual.ROWS_IN);
  const rowBytes = <usize>Win << 2;
  const plane = <usize>Hin * rowBytes;
  const eChan = <usize>rowsIn * rowBytes;
  const wkBytes = <usize>(Kh * Kw) << 2;
  // The depthwise kernel's parameter block, for one channel of one band at a time: the band's
  // real rows as its image, the window's rows above and below them as its padding. The fields
  // that change per band and per channel are set below.
  store<u32>(dwp + (Dwconv.RES << 2), 0);
  store<u32>(dwp + (Dwconv.MULT << 2), 0);
  store<u32>(dwp + (Dwconv.PAD << 2), <u32>pp(p, InvertedResidual.PAD));
  store<i32>(dwp + (Dwconv.C << 2), 1);
  store<i32>(dwp + (Dwconv.WD << 2), Win);
  store<i32>(dwp + (Dwconv.M << 2), 1);
  store<i32>(dwp + (Dwconv.OW << 2), Ow);
  store<i32>(dwp + (Dwconv.KH << 2), Kh);
  store<i32>(dwp + (Dwconv.KW << 2), Kw);
  store<i32>(dwp + (Dwconv.SH << 2), sh);
  store<i32>(dwp + (Dwconv.SW << 2), pi(p, InvertedResidual.SW));
  store<i32>(dwp + (Dwconv.PL << 2), pi(p, InvertedResidual.PL));
  store<i32>(dwp + (Dwconv.PR << 2), pi(p, InvertedResidual.PR));
  store<i32>(dwp + (Dwconv.DH << 2), dh);
  store<i32>(dwp + (Dwconv.DW << 2), pi(p, InvertedResidual.DW));
  store<i32>(dwp + (Dwconv.ACT << 2), pi(p, InvertedResidual.ACT_D));
  store<f32>(dwp + (Dwconv.A0 << 2), pf(p, InvertedResidual.AD0));
  store<f32>(dwp + (Dwconv.A1 << 2), pf(p, InvertedResidual.AD1));
  store<i32>(dwp + (Dwconv.C0 << 2), 0);
  store<i32>(dwp + (Dwconv.C1 << 2), 1);

  let eBase = 0; // E's band holds input rows [eBase, eBase + eRows)
  let eRows = 0;
  for (let oh0 = pi(p, InvertedResidual.OH0), ohEnd = pi(p, InvertedResidual.OH1); oh0 < ohEnd; oh0 += rows) {
    const nb = min(rows, ohEnd - oh0);
    const lo = oh0 * sh - pt; // the window's rows [lo, hi), padding included
    const hi = (oh0 + nb - 1) * sh - pt + (Kh - 1) * dh + 1;
    const a = max(lo, 0), b = min(hi, Hin); // its real rows
    if (expand) {
      let keep = 0;
      if (eRows > 0 && a >= eBase && a < eBase + eRows) {
        keep = min(eBase + eRows, b) - a;
        const shift = <usize>(a - eBase) * rowBytes;
        if (shift) for (let c = 0; c < Ce; c++) memory.copy(e + <usize>c * eChan, e + <usize>c * eChan + shift, <usize>keep * rowBytes);
      }
      if (b > a + keep) expandRows(p, a + keep, b, e + <usize>keep * rowBytes, eChan);
      eBase = a;
      eRows = b - a;
    }
    // Depthwise, channel by channel, from E's band (or x's rows themselves at expansion 1).
    store<i32>(dwp + (Dwconv.H << 2), b - a);
    store<i32>(dwp + (Dwconv.PT << 2), a - lo);
    store<i32>(dwp + (Dwconv.PB << 2), hi - b);
    store<i32>(dwp + (Dwconv.OH << 2), nb);
    const dChan = (<usize>nb * <usize>Ow) << 2;
    const yBand = y + ((<usize>oh0 * <usize>Ow) << 2);
    for (let c = 0; c < Ce; c++) {
      store<u32>(dwp + (Dwconv.X << 2), <u32>(expand ? e + <usize>c * eChan : x + <usize>c * plane + <usize>a * rowBytes));
      store<u32>(dwp + (Dwconv.W << 2), <u32>(wk + <usize>c * wkBytes));
      store<u32>(dwp + (Dwconv.BIAS << 2), <u32>(bk + (<usize>c << 2)));
      store<u32>(dwp + (Dwconv.Y << 2), <u32>(projecting ? d + <usize>c * dChan : yBand + <usize>c * yPlane));
      f32_dwconv2d__wasmsimd(dwp);
    }
    if (projecting) project(p, oh0, nb);
  }
}

/**
 * Input rows [r0, r1) of E (expanded, activated) into E's band from `dst` on (channels eChan
 * bytes apart): one run of (r1 - r0) * W pixels, as x holds them.
 */
function expandRows(p: usize, r0: i32, r1: i32, dst: usize, eChan: usize): void {
  const x = pp(p, InvertedResidual.X), we = pp(p, InvertedResidual.WE), be = pp(p, InvertedResidual.BE);
  const tile = pp(p, InvertedResidual.TILE), block = pp(p, InvertedResidual.BLOCK);
  const Cin = pi(p, InvertedResidual.C), Ce = pi(p, InvertedResidual.CE), Win = pi(p, InvertedResidual.WD);
  const plane = (<usize>pi(p, InvertedResidual.H) * <usize>Win) << 2;
  const src = x + ((<usize>r0 * <usize>Win) << 2);
  const n = (r1 - r0) * Win;
  const act = pi(p, InvertedResidual.ACT_E), s0 = pf(p, InvertedResidual.AE0), s1 = pf(p, InvertedResidual.AE1);
  const a0 = f32x4.splat(s0), a1 = f32x4.splat(s1);
  const kBytes = <usize>Cin * MR * 4;
  // The run's last n % 8 pixels, zero-padded to 8 in the tile, so no load reaches past x.
  const full = n & ~(NR - 1);
  if (full < n) {
    memory.fill(tile, 0, <usize>Cin * NR * 4);
    for (let c = 0; c < Cin; c++) memory.copy(tile + <usize>c * NR * 4, src + (<usize>full << 2) + <usize>c * plane, <usize>(n - full) << 2);
  }
  // Channel blocks outside, pixels inside: a block's weights (Cin x 4) stay in L1 while the
  // run's pixels stream past them, as the unfused conv's tiles do.
  for (let m0 = 0; m0 < Ce; m0 += MR) {
    const wBlock = we + <usize>(m0 / MR) * kBytes;
    const rEnd = min(MR, Ce - m0);
    for (let pb = 0; pb < n; pb += NR) {
      const cols = min(NR, n - pb);
      if (cols == NR) f32_gemm_ukernel_4x8(MR, Cin, wBlock, 4, MR * 4, src + (<usize>pb << 2), plane, block, false);
      else f32_gemm_ukernel_4x8(MR, Cin, wBlock, 4, MR * 4, tile, NR * 4, block, false);
      for (let r = 0; r < rEnd; r++) {
        const m = m0 + r;
        const bias = v128.load32_splat(be + (<usize>m << 2));
        const v0 = activateSimple(f32x4.add(v128.load(block + (<usize>r << 5)), bias), act, a0, a1);
        const v1 = activateSimple(f32x4.add(v128.load(block + (<usize>r << 5), 16), bias), act, a0, a1);
        storeRun(dst + <usize>m * eChan + (<usize>pb << 2), v0, v1, cols);
      }
    }
  }
  if (activatesLater(act)) activateRows(dst, eChan, Ce, n, act, s0, s1);
}

/** The projection of D's band (nb output rows) into y, with bias, residual and activation. */
function project(p: usize, oh0: i32, nb: i32): void {
  const x = pp(p, InvertedResidual.X), wp = pp(p, InvertedResidual.WP), bp = pp(p, InvertedResidual.BP), y = pp(p, InvertedResidual.Y);
  const d = pp(p, InvertedResidual.D), panels = pp(p, InvertedResidual.PANELS), block = pp(p, InvertedResidual.BLOCK);
  const Ce = pi(p, InvertedResidual.CE), Mout = pi(p, InvertedResidual.M), Ow = pi(p, InvertedResidual.OW);
  const outPlane = (<usize>pi(p, InvertedResidual.OH) * <usize>Ow) << 2;
  const residual = pi(p, InvertedResidual.RESIDUAL) != 0;
  const act = pi(p, InvertedResidual.ACT_P), s0 = pf(p, InvertedResidual.AP0), s1 = pf(p, InvertedResidual.AP1);
  const a0 = f32x4.splat(s0), a1 = f32x4.splat(s1);
  const n = nb * Ow;
  const dChan = <usize>n << 2;
  const first = (<usize>oh0 * <usize>Ow) << 2;
  const kBytes = <usize>Ce * MR * 4;
  // Where `panels` is set (Ce > 512), D's band repacked as the micro-kernel's B reads it: per 8
  // pixels, Ce rows of 8 floats, one contiguous run. Read straight from D's planes (rows n
  // floats apart), a block's K = Ce loads touch Ce cache lines (960 at MobileNetV2's 7x7
  // blocks, more than L1 holds): those blocks ran ~6% slower than the unfused convs (which
  // cut K in chunks of 512), repacked on par (0.99-1.03x, bench/bottleneck.bench.mjs). A block's
  // lanes past n read the next channel's pixels (or the 32 bytes after D's band): computed,
  // dropped.
  const panelBytes = <usize>Ce * NR * 4;
  if (panels) for (let pb = 0; pb < n; pb += NR) {
    const src = d + (<usize>pb << 2);
    const dst = panels + <usize>(pb / NR) * panelBytes;
    for (let c = 0; c < Ce; c++) {
      const from = src + <usize>c * dChan;
      v128.store(dst + (<usize>c << 5), v128.load(from));
      v128.store(dst + (<usize>c << 5), v128.load(from, 16), 16);
    }
  }
  // Channel blocks outside, pixels inside (as in expandRows).
  for (let m0 = 0; m0 < Mout; m0 += MR) {
    const wBlock = wp + <usize>(m0 / MR) * kBytes;
    const rEnd = min(MR, Mout - m0);
    for (let pb = 0; pb < n; pb += NR) {
      const cols = min(NR, n - pb);
      if (panels) f32_gemm_ukernel_4x8(MR, Ce, wBlock, 4, MR * 4, panels + <usize>(pb / NR) * panelBytes, NR * 4, block, false);
      else f32_gemm_ukernel_4x8(MR, Ce, wBlock, 4, MR * 4, d + (<usize>pb << 2), dChan, block, false);
      for (let r = 0; r < rEnd; r++) {
        const m = m0 + r;
        const bias = v128.load32_splat(bp + (<usize>m << 2));
        const off = <usize>m * outPlane + first + (<usize>pb << 2);
        let v0 = f32x4.add(v128.load(block + (<usize>r << 5)), bias);
        let v1 = f32x4.add(v128.load(block + (<usize>r << 5), 16), bias);
        if (residual) {
          v0 = f32x4.add(v0, loadRun(x + off, cols));
          v1 = f32x4.add(v1, cols > 4 ? loadRun(x + off + 16, cols - 4) : f32x4.splat(0));
        }
        storeRun(y + off, activateSimple(v0, act, a0, a1), activateSimple(v1, act, a0, a1), cols);
      }
    }
  }
  if (activatesLater(act)) activateRows(y + first, outPlane, Mout, n, act, s0, s1);
}

/** Stores the first `cols` (1..8) of the 8 lanes v0, v1 at `at`. */
@inline function storeRun(at: usize, v0: v128, v1: v128, cols: i32): void {
  if (cols == NR) {
    v128.store(at, v0);
    v128.store(at, v1, 16);
    return;
  }
  for (let c = 0; c < cols; c++) {
    const v = c < 4 ? v0 : v1;
    const lane = c & 3;
    const s = lane == 0 ? f32x4.extract_lane(v, 0) : lane == 1 ? f32x4.extract_lane(v, 1) : lane == 2 ? f32x4.extract_lane(v, 2) : f32x4.extract_lane(v, 3);
    store<f32>(at + (<usize>c << 2), s);
  }
}

/** The first `cols` floats at `at` (up to 4; the rest zero), reading nothing past them. */
@inline function loadRun(at: usize, cols: i32): v128 {
  if (cols >= 4) return v128.load(at);
  let v = v128.load32_zero(at);
  if (cols > 1) v = f32x4.replace_lane(v, 1, load<f32>(at, 4));
  if (cols > 2) v = f32x4.replace_lane(v, 2, load<f32>(at, 8));
  return v;
}

// invertedresidual (src/ops/inverted-residual.ts) in one dispatch: [1x1 expand + act] ->
// k x k depthwise + act -> [1x1 project (+ x) + act], tile by tile, so neither the expanded
// tensor nor the depthwise output ever exists whole (issue 14).
//
// A workgroup owns a TH x TW tile of output pixels of one image and a slice of MT = GM x MR
// output channels (workgroup z; one slice unless Cout is large). It walks the expanded
// channels in chunks of CH: (1) the expand conv over the tile's IH x IW input window into
// workgroup memory (e_tile; 0 outside the image: the depthwise conv pads the *expanded*
// tensor with zeros), or the window of x itself without expand conv; (2) the depthwise conv
// and its activation into d_tile, 4 pixels a vec4; (3) the chunk's share of the projection,
// accumulated in registers: invocation (gm, gp) holds MR output channels x 4 pixels. Bias,
// residual and activation at the end. With `project` 0, step (2) writes the depthwise
// output to y and there is no step (3). The host (src/backends/webgpu/kernels/bottleneck.ts)
// picks the tile, CH, MR and GM per node so the two arrays fit the workgroup storage.

// The inner loops are written out by hand, channel by channel: SwiftShader's JIT keeps a
// vector or array indexed by a loop variable in memory, not in registers. The activations
// outside them run in loops instead, each from one call site: every call of `activate` is
// inlined, and a shader with dozens of copies took minutes to compile on SwiftShader.

// The tile's shape is uniform data (Params: TH, TW, IH, IW, CH, GM), so that one pipeline per
// (MR, UNIT_W) serves every block of every model: on SwiftShader a pipeline of this shader
// took 7-18 s to build, and a network's blocks had asked for up to 20 different ones.

// Invocations per workgroup: LG = WG / GP lanes for each of the tile's GP groups of 4 pixels.
const WG: u32 = 256u;
// Output channels per invocation in the projection (4 or 8).
override MR: u32 = 8u;
// Stride and dilation 1 along the width and TW a multiple of 4: a lane's 4 pixels are adjacent
// in one row, so each depthwise tap after a row's first loads one new value, not 4.
override UNIT_W: bool = false;
// Floats of e_tile (at least CH x IPP, IPP = IH IW rounded up to 4) and vec4s of d_tile (at
// least CH x GP, GP = ceil(TH TW / 4)): 9 + 7 KiB, WebGPU's guaranteed 16 KiB of workgroup
// storage (src/backends/webgpu/kernels/bottleneck.ts picks tiles within them; of the split
// sizes tried, this one let the most of the tiles a free split had chosen stay).
const E_SIZE: u32 = 2304u;
const D_SIZE: u32 = 448u;

struct Params {
  Cin: u32, H: u32, W: u32, Ce: u32, Cout: u32, OH: u32, OW: u32,
  KH: u32, KW: u32, sh: u32, sw: u32, pt: i32, pl: i32, dh: u32, dw: u32,
  tiles_w: u32,
  // The output tile (TH x TW), its input window (IH x IW: (TH - 1) sh + (KH - 1) dh + 1, IW
  // alike), expanded channels per chunk (CH, a multiple of 4), and invocations along the
  // output channels in the projection (GM, at most LG).
  TH: u32, TW: u32, IH: u32, IW: u32, CH: u32, GM: u32,
  x_off: u32, w1_off: u32, b1_off: u32, wd_off: u32, bd_off: u32, w2_off: u32, b2_off: u32, y_off: u32,
  expand: u32, project: u32, residual: u32,
  act1: u32, p10: f32, p11: f32,
  act2: u32, p20: f32, p21: f32,
  act3: u32, p30: f32, p31: f32,
}

var<workgroup> e_tile: array<f32, E_SIZE>;
var<workgroup> d_tile: array<vec4<f32>, D_SIZE>;

fn act4(a: u32, v: vec4<f32>, p0: f32, p1: f32) -> vec4<f32> {
  var o = v;
  for (var j = 0u; j < 4u; j++) {
    o[j] = activate(a, v[j], p0, p1);
  }
  return o;
}

// Pixel k of the window's part inside the image (cw wide, from x_org in x's plane and e_org in
// e_tile): its offsets in x's plane and in an e_tile channel row.
fn pix(k: u32, cw: u32, x_org: u32, e_org: u32) -> vec2<u32> {
  let ry = k / cw;
  let rx = k - ry * cw;
  return vec2<u32>(x_org + ry * params.W + rx, e_org + ry * params.IW + rx);
}

// Output pixel p of the tile (row-major, TH x TW): the offset of its first tap in an e_tile row.
fn tap0(p: u32) -> u32 {
  let q = min(p, params.TH * params.TW - 1u);
  let ty = q / params.TW;
  return ty * params.sh * params.IW + (q - ty * params.TW) * params.sw;
}

// Output pixel p of the tile, as the element of channel m of image n in an [N, C, OH, OW]
// tensor; 0xffffffff when p lies outside the tile or the image.
fn out_at(n: u32, C: u32, m: u32, oh0: u32, ow0: u32, p: u32) -> u32 {
  let ty = p / params.TW;
  let oh = oh0 + ty;
  let ow = ow0 + p - ty * params.TW;
  if (p >= params.TH * params.TW || oh >= params.OH || ow >= params.OW) {
    return 0xffffffffu;
  }
  return ((n * C + m) * params.OH + oh) * params.OW + ow;
}

// Bias, residual (x has the output's shape) and activation for the projection's output.
fn finish(x_img: u32, n: u32, m: u32, oh0: u32, ow0: u32, p: u32, v: f32) {
  let at = out_at(n, params.Cout, m, oh0, ow0, p);
  if (at == 0xffffffffu) {
    return;
  }
  var o = v + arena[params.b2_off + m];
  if (params.residual != 0u) {
    o += arena[x_img + at - n * params.Cout * params.OH * params.OW];
  }
  arena[params.y_off + at] = activate(params.act3, o, params.p30, params.p31);
}


// The block's first half: the depthwise output is the result.
fn store_d(n: u32, c: u32, oh0: u32, ow0: u32, p: u32, v: f32) {
  let at = out_at(n, params.Ce, c, oh0, ow0, p);
  if (at != 0xffffffffu) {
    arena[params.y_off + at] = v;
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let n = wid.y;
  let oh0 = (wid.x / params.tiles_w) * params.TH;
  let ow0 = (wid.x % params.tiles_w) * params.TW;
  let ih0 = i32(oh0 * params.sh) - params.pt;
  let iw0 = i32(ow0 * params.sw) - params.pl;
  // The window's part inside the image: rows [r0, r1), columns [q0, q1); the rest of e_tile stays 0
  // (the depthwise conv pads the expanded tensor with zeros).
  let r0 = u32(max(-ih0, 0));
  let r1 = u32(clamp(i32(params.H) - ih0, 0, i32(params.IH)));
  let q0 = u32(max(-iw0, 0));
  let q1 = u32(clamp(i32(params.W) - iw0, 0, i32(params.IW)));
  let cw = select(0u, q1 - q0, q1 > q0);
  let count = select(0u, (r1 - r0) * cw, r1 > r0);
  let nq = (count + 3u) / 4u;
  let plane = params.H * params.W;
  let x_img = params.x_off + n * params.Cin * plane;
  let x_org = select(0u, u32(ih0 + i32(r0)) * params.W + u32(iw0 + i32(q0)), count > 0u);
  let e_org = r0 * params.IW + q0;
  let IPP = ((params.IH * params.IW + 3u) / 4u) * 4u;
  let GP = (params.TH * params.TW + 3u) / 4u;
  let LG = WG / GP;
  let gp = lid % GP;
  let gl = lid / GP;
  let t0 = tap0(gp * 4u);
  let t1 = tap0(gp * 4u + 1u);
  let t2 = tap0(gp * 4u + 2u);
  let t3 = tap0(gp * 4u + 3u);
  let taps = params.KH * params.KW;
  let m0 = (wid.z * params.GM + gl) * MR;
  let mlast = params.Cout - 1u;
  let clast = params.Ce - 1u;
  for (var i = lid; i < params.CH * IPP; i += WG) {
    e_tile[i] = 0.0;
  }
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  var acc4 = vec4<f32>(0.0);
  var acc5 = vec4<f32>(0.0);
  var acc6 = vec4<f32>(0.0);
  var acc7 = vec4<f32>(0.0);
  workgroupBarrier();
  for (var c0 = 0u; c0 < params.Ce; c0 += params.CH) {
    // (1) The chunk's expanded window: items of 4 channels x 4 pixels (a last short group
    // repeats its last pixel; a channel past Ce repeats the last channel, and is never read).
    for (var it = lid; it < (params.CH / 4u) * nq; it += WG) {
      let cq = it / nq;
      let q = (it - cq * nq) * 4u;
      let a = pix(q, cw, x_org, e_org);
      let b = pix(min(q + 1u, count - 1u), cw, x_org, e_org);
      let c = pix(min(q + 2u, count - 1u), cw, x_org, e_org);
      let d = pix(min(q + 3u, count - 1u), cw, x_org, e_org);
      let ch = c0 + cq * 4u;
      let k0 = min(ch, clast);
      let k1 = min(ch + 1u, clast);
      let k2 = min(ch + 2u, clast);
      let k3 = min(ch + 3u, clast);
      var e0: vec4<f32>;
      var e1: vec4<f32>;
      var e2: vec4<f32>;
      var e3: vec4<f32>;
      if (params.expand != 0u) {
        let w0 = params.w1_off + k0 * params.Cin;
        let w1 = params.w1_off + k1 * params.Cin;
        let w2 = params.w1_off + k2 * params.Cin;
        let w3 = params.w1_off + k3 * params.Cin;
        var vacc0 = vec4<f32>(0.0);
        var vacc1 = vec4<f32>(0.0);
        var vacc2 = vec4<f32>(0.0);
        var vacc3 = vec4<f32>(0.0);
        var xa = x_img;
        for (var k = 0u; k < params.Cin; k++) {
          let xv = vec4<f32>(arena[xa + a.x], arena[xa + b.x], arena[xa + c.x], arena[xa + d.x]);
          vacc0 = fma(vec4<f32>(arena[w0 + k]), xv, vacc0);
          vacc1 = fma(vec4<f32>(arena[w1 + k]), xv, vacc1);
          vacc2 = fma(vec4<f32>(arena[w2 + k]), xv, vacc2);
          vacc3 = fma(vec4<f32>(arena[w3 + k]), xv, vacc3);
          xa += plane;
        }
        var e = array<vec4<f32>, 4>(
          vacc0 + vec4<f32>(arena[params.b1_off + k0]), vacc1 + vec4<f32>(arena[params.b1_off + k1]),
          vacc2 + vec4<f32>(arena[params.b1_off + k2]), vacc3 + vec4<f32>(arena[params.b1_off + k3]),
        );
        for (var r = 0u; r < 4u; r++) {
          e[r] = act4(params.act1, e[r], params.p10, params.p11);
        }
        e0 = e[0];
        e1 = e[1];
        e2 = e[2];
        e3 = e[3];
      } else {
        // No expand conv: the window of x itself (Ce = Cin).
        let x0 = x_img + k0 * plane;
        let x1 = x_img + k1 * plane;
        let x2 = x_img + k2 * plane;
        let x3 = x_img + k3 * plane;
        e0 = vec4<f32>(arena[x0 + a.x], arena[x0 + b.x], arena[x0 + c.x], arena[x0 + d.x]);
        e1 = vec4<f32>(arena[x1 + a.x], arena[x1 + b.x], arena[x1 + c.x], arena[x1 + d.x]);
        e2 = vec4<f32>(arena[x2 + a.x], arena[x2 + b.x], arena[x2 + c.x], arena[x2 + d.x]);
        e3 = vec4<f32>(arena[x3 + a.x], arena[x3 + b.x], arena[x3 + c.x], arena[x3 + d.x]);
      }
      let r = cq * 4u * IPP;
      e_tile[r + a.y] = e0.x;
      e_tile[r + b.y] = e0.y;
      e_tile[r + c.y] = e0.z;
      e_tile[r + d.y] = e0.w;
      e_tile[r + IPP + a.y] = e1.x;
      e_tile[r + IPP + b.y] = e1.y;
      e_tile[r + IPP + c.y] = e1.z;
      e_tile[r + IPP + d.y] = e1.w;
      e_tile[r + 2u * IPP + a.y] = e2.x;
      e_tile[r + 2u * IPP + b.y] = e2.y;
      e_tile[r + 2u * IPP + c.y] = e2.z;
      e_tile[r + 2u * IPP + d.y] = e2.w;
      e_tile[r + 3u * IPP + a.y] = e3.x;
      e_tile[r + 3u * IPP + b.y] = e3.y;
      e_tile[r + 3u * IPP + c.y] = e3.z;
      e_tile[r + 3u * IPP + d.y] = e3.w;
    }
    workgroupBarrier();
    // (2) Depthwise + activation: lane (gl, gp) takes the chunk's channels gl, gl + LG, ... at
    // its 4 pixels (the WG - LG GP invocations past the last lane take none).
    let nc = min(params.CH, params.Ce - c0);
    for (var cl = select(nc, gl, gl < LG); cl < nc; cl += LG) {
      let c = c0 + cl;
      var vacc = vec4<f32>(arena[params.bd_off + c]);
      var wt = params.wd_off + c * taps;
      for (var i = 0u; i < params.KH; i++) {
        var o = cl * IPP + i * params.dh * params.IW;
        if (UNIT_W) {
          o += t0;
          var ev = vec4<f32>(0.0, e_tile[o], e_tile[o + 1u], e_tile[o + 2u]);
          for (var j = 0u; j < params.KW; j++) {
            ev = vec4<f32>(ev.yzw, e_tile[o + j + 3u]);
            vacc = fma(vec4<f32>(arena[wt]), ev, vacc);
            wt++;
          }
        } else {
          for (var j = 0u; j < params.KW; j++) {
            vacc = fma(vec4<f32>(arena[wt]), vec4<f32>(e_tile[t0 + o], e_tile[t1 + o], e_tile[t2 + o], e_tile[t3 + o]), vacc);
            wt++;
            o += params.dw;
          }
        }
      }
      let v = act4(params.act2, vacc, params.p20, params.p21);
      if (params.project != 0u) {
        d_tile[cl * GP + gp] = v;
      } else {
        for (var j = 0u; j < 4u; j++) {
          store_d(n, c, oh0, ow0, gp * 4u + j, v[j]);
        }
      }
    }
    workgroupBarrier();
    // (3) The chunk's share of the projection: w2[m][c0 + cl] x d[cl] for the lane's MR channels.
    if (params.project != 0u && gl < params.GM) {
      let wc = params.w2_off + c0;
      let w0 = wc + min(m0, mlast) * params.Ce;
      let w1 = wc + min(m0 + 1u, mlast) * params.Ce;
      let w2 = wc + min(m0 + 2u, mlast) * params.Ce;
      let w3 = wc + min(m0 + 3u, mlast) * params.Ce;
      let w4 = wc + min(m0 + 4u, mlast) * params.Ce;
      let w5 = wc + min(m0 + 5u, mlast) * params.Ce;
      let w6 = wc + min(m0 + 6u, mlast) * params.Ce;
      let w7 = wc + min(m0 + 7u, mlast) * params.Ce;
      for (var cl = 0u; cl < nc; cl++) {
        let dv = d_tile[cl * GP + gp];
        acc0 = fma(vec4<f32>(arena[w0 + cl]), dv, acc0);
        acc1 = fma(vec4<f32>(arena[w1 + cl]), dv, acc1);
        acc2 = fma(vec4<f32>(arena[w2 + cl]), dv, acc2);
        acc3 = fma(vec4<f32>(arena[w3 + cl]), dv, acc3);
        if (MR == 8u) {
          acc4 = fma(vec4<f32>(arena[w4 + cl]), dv, acc4);
          acc5 = fma(vec4<f32>(arena[w5 + cl]), dv, acc5);
          acc6 = fma(vec4<f32>(arena[w6 + cl]), dv, acc6);
          acc7 = fma(vec4<f32>(arena[w7 + cl]), dv, acc7);
        }
      }
    }
    workgroupBarrier();
  }
  if (params.project == 0u || gl >= params.GM) {
    return;
  }
  let acc = array<vec4<f32>, 8>(acc0, acc1, acc2, acc3, acc4, acc5, acc6, acc7);
  for (var r = 0u; r < MR; r++) {
    if (m0 + r >= params.Cout) {
      break;
    }
    for (var j = 0u; j < 4u; j++) {
      finish(x_img, n, m0 + r, oh0, ow0, gp * 4u + j, acc[r][j]);
    }
  }
}

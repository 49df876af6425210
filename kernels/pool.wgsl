// Max and average pooling over NCHW, one invocation per output y[nc, oh, ow]: the window
// starts at (oh*sh - pt, ow*sw - pl) and takes KH x KW taps, dilation (dh, dw) apart; taps
// outside the input are skipped (padding never wins the max and adds nothing to the sum).
// The average divides by the taps inside the input, or with INCLUDE_PAD by the window's
// extent clipped to the padded input (count_include_pad), as src/ops/pooling.ts does.

const POOL_MAX: u32 = 1u;
const POOL_AVG: u32 = 2u;

override OP: u32 = POOL_MAX;
override INCLUDE_PAD: bool = false;
override WORKGROUP_SIZE: u32 = 64u;

struct Params {
  // N * C planes of H x W in, OH x OW out.
  NC: u32, H: u32, W: u32, OH: u32, OW: u32,
  KH: u32, KW: u32,
  sh: u32, sw: u32,
  // pads [top, left, bottom, right]
  pt: i32, pl: i32, pb: i32, pr: i32,
  dh: u32, dw: u32,
  x_off: u32, y_off: u32,
  // -Infinity: the max of a window with no tap inside the input (WGSL has no infinite literal).
  lowest: f32,
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let at = flat_index(wid, groups, lid, WORKGROUP_SIZE);
  let plane = params.OH * params.OW;
  if (at >= params.NC * plane) {
    return;
  }
  let nc = at / plane;
  let s = at - nc * plane;
  let oh = s / params.OW;
  let ow = s - oh * params.OW;
  let hs = i32(oh * params.sh) - params.pt;
  let ws = i32(ow * params.sw) - params.pl;
  let H = i32(params.H);
  let W = i32(params.W);
  let x_plane = params.x_off + nc * params.H * params.W;
  var m = params.lowest;
  var sum = 0.0;
  var count = 0u;
  for (var i = 0u; i < params.KH; i++) {
    let h = hs + i32(i * params.dh);
    if (h < 0 || h >= H) {
      continue;
    }
    for (var j = 0u; j < params.KW; j++) {
      let w = ws + i32(j * params.dw);
      if (w < 0 || w >= W) {
        continue;
      }
      let v = arena[x_plane + u32(h * W + w)];
      m = nan_max(m, v);
      sum += v;
      count++;
    }
  }
  if (OP == POOL_MAX) {
    arena[params.y_off + at] = m;
    return;
  }
  var divisor = f32(count);
  if (INCLUDE_PAD) {
    let he = min(hs + i32((params.KH - 1u) * params.dh) + 1, H + params.pb);
    let we = min(ws + i32((params.KW - 1u) * params.dw) + 1, W + params.pr);
    divisor = f32((he - hs) * (we - ws));
  }
  arena[params.y_off + at] = sum / divisor;
}

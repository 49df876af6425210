// conv2d computed directly, one invocation per output: for depthwise convolutions (one
// input channel per group) and convolutions too small in K or in output channels for the
// tiled GEMM's tiles to pay. Same parameters and epilogue as conv2d.wgsl.

override WORKGROUP_SIZE: u32 = 64u;
override ACT: u32 = ACT_NONE;
override RESIDUAL: bool = false;
override BIAS: bool = true;

struct Params {
  N: u32, C: u32, H: u32, W: u32,
  OH: u32, OW: u32,
  M: u32, Mg: u32, Cg: u32,
  KH: u32, KW: u32,
  sh: u32, sw: u32,
  pt: i32, pl: i32,
  dh: u32, dw: u32,
  x_off: u32, w_off: u32, b_off: u32, r_off: u32, y_off: u32,
  p0: f32, p1: f32,
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let at = flat_index(wid, groups, lid, WORKGROUP_SIZE);
  let plane = params.OH * params.OW;
  if (at >= params.N * params.M * plane) {
    return;
  }
  let nm = at / plane;
  let s = at - nm * plane;
  let n = nm / params.M;
  let m = nm - n * params.M;
  let oh = s / params.OW;
  let ow = s - oh * params.OW;
  let g = m / params.Mg;
  let ih0 = i32(oh * params.sh) - params.pt;
  let iw0 = i32(ow * params.sw) - params.pl;
  var acc = 0.0;
  for (var c = 0u; c < params.Cg; c++) {
    let x_plane = params.x_off + (n * params.C + g * params.Cg + c) * params.H * params.W;
    let w_base = params.w_off + (m * params.Cg + c) * params.KH * params.KW;
    for (var i = 0u; i < params.KH; i++) {
      let ih = ih0 + i32(i * params.dh);
      if (ih < 0 || ih >= i32(params.H)) {
        continue;
      }
      for (var j = 0u; j < params.KW; j++) {
        let iw = iw0 + i32(j * params.dw);
        if (iw < 0 || iw >= i32(params.W)) {
          continue;
        }
        acc = fma(arena[w_base + i * params.KW + j], arena[x_plane + u32(ih) * params.W + u32(iw)], acc);
      }
    }
  }
  if (BIAS) {
    acc += arena[params.b_off + m];
  }
  if (RESIDUAL) {
    acc += arena[params.r_off + at];
  }
  arena[params.y_off + at] = activate(ACT, acc, params.p0, params.p1);
}

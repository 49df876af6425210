// The two transform stages of a 3x3 stride-1 convolution by Winograd's F(4x4, 3x3) (groups 1,
// dilation 1, any padding), NCHW: Y = A^T [ sum_c U (.) V ] A, as on the wasm backend
// (assembly/winograd.ts holds the derivation: points 0, 1, -1, 1/2, -1/2 and infinity).
// src/backends/webgpu/kernels/winograd.ts runs three dispatches per conv:
//   1. this kernel, OUTPUT false: one invocation per (input channel c, tile p) transforms the
//      6x6 input patch d of tile p (zeros outside the image) into V = B^T d B, written as
//      V[xi][c][p] (xi = 6 row + column of the 6x6; p = n tiles + tile, over the batch);
//   2. kernels/winograd-gemm.wgsl: M[xi] = U[xi] (M x C) V[xi] (C x P), U = G g G^T made
//      once at compile (float64, rounded once);
//   3. this kernel, OUTPUT true: one invocation per (output channel m, tile p) transforms
//      M[.][m][p] into the 4x4 outputs A^T M A, then the direct path's epilogue (bias,
//      residual, activation) on those inside the image.
// B^T mixes every value of a patch and inf - inf is NaN: a NaN or an infinity would spread
// over whole tiles. A tile whose outputs are not all finite is computed again by the direct
// formula (stage 3), so non-finite values land where a direct convolution puts them.

override WORKGROUP_SIZE: u32 = 256u;
// The output stage (3); else the input stage (1).
override OUTPUT: bool = false;

struct Params {
  C: u32, H: u32, W: u32, M: u32, OH: u32, OW: u32,
  // Tiles per row, per image, and over the batch.
  TW: u32, tiles: u32, P: u32,
  pt: i32, pl: i32,
  x_off: u32, w_off: u32, v_off: u32, m_off: u32,
  b_off: u32, r_off: u32, y_off: u32,
  act: u32, bias: u32, residual: u32,
  p0: f32, p1: f32,
}

// B^T d for one row or column d of a patch.
fn bt6(d: array<f32, 6>) -> array<f32, 6> {
  let a = 4.0 * d[4] - d[2];
  let b = 4.0 * d[3] - d[1];
  let e = 2.0 * (d[4] - d[2]);
  let f = d[3] - d[1];
  return array<f32, 6>(d[0] - 5.0 * d[2] + 4.0 * d[4], a + b, a - b, e + f, e - f, d[1] - 5.0 * d[3] + 4.0 * d[5]);
}

// A^T m for one row or column m of a transformed tile (A^T's entries are powers of 2: exact).
fn at6(m: array<f32, 6>) -> vec4<f32> {
  let s1 = m[1] + m[2];
  let d1 = m[1] - m[2];
  let s2 = m[3] + m[4];
  let d2 = m[3] - m[4];
  return vec4<f32>(m[0] + s1 + s2, d1 + 0.5 * d2, s1 + 0.25 * s2, d1 + 0.125 * d2 + m[5]);
}

// Tile p's image, and its first output row and column.
struct Tile { n: u32, oh: u32, ow: u32 }
fn tile_of(p: u32) -> Tile {
  let n = p / params.tiles;
  let t = p - n * params.tiles;
  let ty = t / params.TW;
  return Tile(n, 4u * ty, 4u * (t - ty * params.TW));
}

fn input_stage(i: u32) {
  if (i >= params.C * params.P) {
    return;
  }
  let c = i / params.P;
  let p = i - c * params.P;
  let tile = tile_of(p);
  let ih0 = i32(tile.oh) - params.pt;
  let iw0 = i32(tile.ow) - params.pl;
  let plane = params.x_off + (tile.n * params.C + c) * params.H * params.W;
  // Rows of d B (each row transformed), then B^T of each column.
  var t: array<array<f32, 6>, 6>;
  for (var r = 0; r < 6; r++) {
    let ih = ih0 + r;
    var d = array<f32, 6>(0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    if (ih >= 0 && ih < i32(params.H)) {
      let row = plane + u32(ih) * params.W;
      for (var j = 0; j < 6; j++) {
        let iw = iw0 + j;
        if (iw >= 0 && iw < i32(params.W)) {
          d[j] = arena[row + u32(iw)];
        }
      }
    }
    t[r] = bt6(d);
  }
  let stride = params.C * params.P;
  let at = params.v_off + c * params.P + p;
  for (var j = 0u; j < 6u; j++) {
    let v = bt6(array<f32, 6>(t[0][j], t[1][j], t[2][j], t[3][j], t[4][j], t[5][j]));
    for (var k = 0u; k < 6u; k++) {
      arena[at + (6u * k + j) * stride] = v[k];
    }
  }
}

// Output (oh, ow) of channel m of image n by the direct formula (padding reads as 0, as on the direct path).
fn direct(n: u32, m: u32, oh: u32, ow: u32) -> f32 {
  var acc = 0.0;
  for (var c = 0u; c < params.C; c++) {
    let plane = params.x_off + (n * params.C + c) * params.H * params.W;
    let w = params.w_off + (m * params.C + c) * 9u;
    for (var i = 0u; i < 3u; i++) {
      let ih = i32(oh + i) - params.pt;
      for (var j = 0u; j < 3u; j++) {
        let iw = i32(ow + j) - params.pl;
        var x = 0.0;
        if (ih >= 0 && ih < i32(params.H) && iw >= 0 && iw < i32(params.W)) {
          x = arena[plane + u32(ih) * params.W + u32(iw)];
        }
        acc = fma(x, arena[w + 3u * i + j], acc);
      }
    }
  }
  return acc;
}

fn output_tile(m: u32, p: u32) {
  let stride = params.M * params.P;
  let at = params.m_off + m * params.P + p;
  // A^T of each column, then of each of the 4 rows.
  var s: array<vec4<f32>, 6>;
  for (var j = 0u; j < 6u; j++) {
    s[j] = at6(array<f32, 6>(
      arena[at + j * stride], arena[at + (6u + j) * stride], arena[at + (12u + j) * stride],
      arena[at + (18u + j) * stride], arena[at + (24u + j) * stride], arena[at + (30u + j) * stride],
    ));
  }
  var y: array<vec4<f32>, 4>;
  var finite = true;
  for (var r = 0u; r < 4u; r++) {
    y[r] = at6(array<f32, 6>(s[0][r], s[1][r], s[2][r], s[3][r], s[4][r], s[5][r]));
    finite = finite && is_finite(y[r].x) && is_finite(y[r].y) && is_finite(y[r].z) && is_finite(y[r].w);
  }
  let tile = tile_of(p);
  let out = (tile.n * params.M + m) * params.OH * params.OW;
  var bias = 0.0;
  if (params.bias != 0u) {
    bias = arena[params.b_off + m];
  }
  for (var r = 0u; r < 4u; r++) {
    let oh = tile.oh + r;
    if (oh >= params.OH) {
      break;
    }
    for (var c = 0u; c < 4u; c++) {
      let ow = tile.ow + c;
      if (ow >= params.OW) {
        break;
      }
      var v = y[r][c];
      if (!finite) {
        v = direct(tile.n, m, oh, ow);
      }
      v += bias;
      let k = out + oh * params.OW + ow;
      if (params.residual != 0u) {
        v += arena[params.r_off + k];
      }
      arena[params.y_off + k] = activate(params.act, v, params.p0, params.p1);
    }
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let i = flat_index(wid, groups, lid, WORKGROUP_SIZE);
  if (OUTPUT) {
    if (i < params.M * params.P) {
      let m = i / params.P;
      output_tile(m, i - m * params.P);
    }
  } else {
    input_stage(i);
  }
}

// The 36 products of a Winograd F(4x4, 3x3) convolution (kernels/winograd.wgsl has the
// transforms): per position xi of the 6x6 (wid.z), M[xi] = U[xi] V[xi] with
//   U[xi]: [M][C] (transformed weights), V[xi]: [C][P] (transformed input tiles, P over the
//   batch), M[xi]: [M][P].
// Tiled as kernels/conv2d.wgsl (TM x TN per workgroup through K = C by TK, 8 x 8 per
// invocation, spread by WG_M rows and WG_N columns) but reading plain matrices: no im2col
// arithmetic per staged value, and the 64 results stored from named accumulators. Its K is
// short (C, not 9 C), so that per-value work decided the speed: on SwiftShader the conv2d
// kernel run as a 1x1 conv of 36 groups took 2x as long for the same products.

override WG_M: u32 = 8u;
override WG_N: u32 = 8u;
override TK: u32 = 32u;
override TM: u32 = 8u * WG_M;
override TN: u32 = 8u * WG_N;

struct Params {
  C: u32, M: u32, P: u32,
  u_off: u32, v_off: u32, m_off: u32,
}

var<workgroup> w_tile: array<f32, TM * TK>; // [TK][TM]
var<workgroup> x_tile: array<f32, TK * TN>; // [TK][TN]

// Stores value r of the output row at `at` at column q when q is a tile (no dynamic index into the accumulators).
fn put(at: u32, q: u32, r: f32) {
  if (q < params.P) {
    arena[at + q] = r;
  }
}

// Row m of the workgroup's output tile (of the matrix at base): eight values WG_N columns apart from column p.
fn store_row(base: u32, m: u32, p: u32, a: vec4<f32>, b: vec4<f32>) {
  if (m >= params.M) {
    return;
  }
  let at = base + m * params.P;
  put(at, p, a.x);
  put(at, p + WG_N, a.y);
  put(at, p + 2u * WG_N, a.z);
  put(at, p + 3u * WG_N, a.w);
  put(at, p + 4u * WG_N, b.x);
  put(at, p + 5u * WG_N, b.y);
  put(at, p + 6u * WG_N, b.z);
  put(at, p + 7u * WG_N, b.w);
}

@compute @workgroup_size(WG_N, WG_M)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let xi = wid.z;
  let m0 = wid.y * TM;
  let p0 = wid.x * TN;
  let threads = WG_M * WG_N;
  let u = params.u_off + xi * params.M * params.C;
  let v = params.v_off + xi * params.C * params.P;
  var acc00 = vec4<f32>(0.0);
  var acc01 = vec4<f32>(0.0);
  var acc10 = vec4<f32>(0.0);
  var acc11 = vec4<f32>(0.0);
  var acc20 = vec4<f32>(0.0);
  var acc21 = vec4<f32>(0.0);
  var acc30 = vec4<f32>(0.0);
  var acc31 = vec4<f32>(0.0);
  var acc40 = vec4<f32>(0.0);
  var acc41 = vec4<f32>(0.0);
  var acc50 = vec4<f32>(0.0);
  var acc51 = vec4<f32>(0.0);
  var acc60 = vec4<f32>(0.0);
  var acc61 = vec4<f32>(0.0);
  var acc70 = vec4<f32>(0.0);
  var acc71 = vec4<f32>(0.0);
  for (var k0 = 0u; k0 < params.C; k0 += TK) {
    // U[m0.., k0..] transposed to [TK][TM], consecutive invocations reading consecutive k.
    for (var e = li; e < TM * TK; e += threads) {
      let r = e / TK;
      let kk = e - r * TK;
      let m = m0 + r;
      let k = k0 + kk;
      var a = 0.0;
      if (m < params.M && k < params.C) {
        a = arena[u + m * params.C + k];
      }
      w_tile[kk * TM + r] = a;
    }
    // V[k0.., p0..] as [TK][TN], consecutive invocations reading consecutive tiles.
    for (var e = li; e < TK * TN; e += threads) {
      let kk = e / TN;
      let col = e - kk * TN;
      let k = k0 + kk;
      let p = p0 + col;
      var b = 0.0;
      if (k < params.C && p < params.P) {
        b = arena[v + k * params.P + p];
      }
      x_tile[e] = b;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk++) {
      let wa = kk * TM + lid.y;
      let xa = kk * TN + lid.x;
      let b0 = vec4<f32>(x_tile[xa], x_tile[xa + WG_N], x_tile[xa + 2u * WG_N], x_tile[xa + 3u * WG_N]);
      let b1 = vec4<f32>(x_tile[xa + 4u * WG_N], x_tile[xa + 5u * WG_N], x_tile[xa + 6u * WG_N], x_tile[xa + 7u * WG_N]);
      let a0 = w_tile[wa + 0u * WG_M];
      let a1 = w_tile[wa + 1u * WG_M];
      let a2 = w_tile[wa + 2u * WG_M];
      let a3 = w_tile[wa + 3u * WG_M];
      let a4 = w_tile[wa + 4u * WG_M];
      let a5 = w_tile[wa + 5u * WG_M];
      let a6 = w_tile[wa + 6u * WG_M];
      let a7 = w_tile[wa + 7u * WG_M];
      acc00 = fma(vec4<f32>(a0), b0, acc00);
      acc01 = fma(vec4<f32>(a0), b1, acc01);
      acc10 = fma(vec4<f32>(a1), b0, acc10);
      acc11 = fma(vec4<f32>(a1), b1, acc11);
      acc20 = fma(vec4<f32>(a2), b0, acc20);
      acc21 = fma(vec4<f32>(a2), b1, acc21);
      acc30 = fma(vec4<f32>(a3), b0, acc30);
      acc31 = fma(vec4<f32>(a3), b1, acc31);
      acc40 = fma(vec4<f32>(a4), b0, acc40);
      acc41 = fma(vec4<f32>(a4), b1, acc41);
      acc50 = fma(vec4<f32>(a5), b0, acc50);
      acc51 = fma(vec4<f32>(a5), b1, acc51);
      acc60 = fma(vec4<f32>(a6), b0, acc60);
      acc61 = fma(vec4<f32>(a6), b1, acc61);
      acc70 = fma(vec4<f32>(a7), b0, acc70);
      acc71 = fma(vec4<f32>(a7), b1, acc71);
    }
    workgroupBarrier();
  }
  let m = m0 + lid.y;
  let p = p0 + lid.x;
  let base = params.m_off + xi * params.M * params.P;
  store_row(base, m, p, acc00, acc01);
  store_row(base, m + WG_M, p, acc10, acc11);
  store_row(base, m + 2u * WG_M, p, acc20, acc21);
  store_row(base, m + 3u * WG_M, p, acc30, acc31);
  store_row(base, m + 4u * WG_M, p, acc40, acc41);
  store_row(base, m + 5u * WG_M, p, acc50, acc51);
  store_row(base, m + 6u * WG_M, p, acc60, acc61);
  store_row(base, m + 7u * WG_M, p, acc70, acc71);
}

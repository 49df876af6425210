// General matrix product Y[M, N] = alpha * A' B' + beta * C (src/ops/gemm.ts), one
// invocation per output (m, n). Transposes are strides: A'[m, k] = a[m*a_m + k*a_k],
// B'[k, n] = b[k*b_k + n*b_n], and C broadcasts to [M, N] with stride 0 on its size-1 axes:
// C[m, n] = c[m*c_m + n*c_n].

override WORKGROUP_SIZE: u32 = 64u;
// Whether there is a C.
override BIAS: bool = false;

struct Params {
  M: u32, N: u32, K: u32,
  a_off: u32, a_m: u32, a_k: u32,
  b_off: u32, b_k: u32, b_n: u32,
  c_off: u32, c_m: u32, c_n: u32,
  y_off: u32,
  alpha: f32, beta: f32,
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let at = flat_index(wid, groups, lid, WORKGROUP_SIZE);
  if (at >= params.M * params.N) {
    return;
  }
  let m = at / params.N;
  let n = at - m * params.N;
  var a = params.a_off + m * params.a_m;
  var b = params.b_off + n * params.b_n;
  var sum = 0.0;
  for (var k = 0u; k < params.K; k++) {
    sum = fma(arena[a], arena[b], sum);
    a += params.a_k;
    b += params.b_k;
  }
  var v = params.alpha * sum;
  if (BIAS) {
    v += params.beta * arena[params.c_off + m * params.c_m + n * params.c_n];
  }
  arena[params.y_off + at] = v;
}

// Shared by every kernel: src/backends/webgpu/wgsl.ts prepends this file to each source.
//
// Every kernel binds its uniform parameters at binding 0 and the executable's one storage
// buffer at binding 1: the planned activation arena followed by the model's constants, each
// tensor addressed by an element offset passed as a uniform. One binding serves in-place
// nodes and needs no offset alignment. Each kernel declares its own `struct Params`.

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> arena: array<f32>;

// Fused epilogue activations (a conv's or fc's `activation` attribute).
const ACT_NONE: u32 = 0u;
const ACT_RELU: u32 = 1u;
const ACT_CLIP: u32 = 2u;
const ACT_LEAKYRELU: u32 = 3u;
// hardsigmoid: [p0, p1] = [alpha, beta]; hardswish: v * hardsigmoid(v; p0, p1) (1/6, 1/2); silu: v / (1 + e^-v).
const ACT_HARDSIGMOID: u32 = 4u;
const ACT_HARDSWISH: u32 = 5u;
const ACT_SILU: u32 = 6u;
// gelu: v / 2 * (1 + erf(v / sqrt 2)) (erf_f32 below).
const ACT_GELU: u32 = 7u;

// The reference's rules (src/ops/fused-activation.ts), the same fused or not: NaN passes
// through relu, clip and leakyrelu, as in PyTorch and ONNX. WGSL's max/min/clamp may return
// the non-NaN operand, and a compiler may assume there is no NaN (SwiftShader folds `v != v`
// to false, and `v * 0.0` to 0), so NaN is tested by its bits (is_nan, below) and written
// back as v itself. relu is `v < 0 ? 0 : v`; clip: [p0, p1] = [min, max]; leakyrelu: p0 = alpha.
fn activate(act: u32, v: f32, p0: f32, p1: f32) -> f32 {
  let nan = is_nan(v);
  switch act {
    case 1u: { return select(v, 0.0, v < 0.0 && !nan); }
    case 2u: { return select(select(select(v, p1, v > p1), p0, v < p0), v, nan); }
    case 3u: { return select(p0 * v, v, v >= 0.0 || nan); }
    case 4u: { return select(hard_sigmoid(v, p0, p1), v, nan); }
    // -inf * 0 and -inf / inf are NaN, as PyTorch gives hardswish(-inf) and silu(-inf).
    case 5u: { return select(v * hard_sigmoid(v, p0, p1), v, nan); }
    case 6u: { return select(v / (1.0 + exp(-v)), v, nan); }
    case 7u: { return select(0.5 * v * (1.0 + erf_f32(v * 0.70710678118654752)), v, nan); }
    default: { return v; }
  }
}

// max(0, min(1, alpha * v + beta)) for a v that is not NaN.
fn hard_sigmoid(v: f32, alpha: f32, beta: f32) -> f32 {
  let t = alpha * v + beta;
  return select(select(t, 1.0, t > 1.0), 0.0, t < 0.0);
}

// erf of a v that is not NaN: the rational approximation Eigen and XLA use, x P(x^2) / Q(x^2)
// on x clamped to [-4, 4] (error below 7e-8), clamped to [-1, 1]; erf(+-inf) = +-1.
fn erf_f32(v: f32) -> f32 {
  let x = clamp(v, -4.0, 4.0);
  let x2 = x * x;
  var p = x2 * -2.72614225801306e-10 + 2.77068142495902e-08;
  p = x2 * p + -2.10102402082508e-06;
  p = x2 * p + -5.69250639462346e-05;
  p = x2 * p + -7.34990630326855e-04;
  p = x2 * p + -2.95459980854025e-03;
  p = x2 * p + -1.60960333262415e-02;
  var q = x2 * -1.45660718464996e-05 + -2.13374055278905e-04;
  q = x2 * q + -1.68282697438203e-03;
  q = x2 * q + -7.37332916720468e-03;
  q = x2 * q + -1.42647390514189e-02;
  return clamp(x * p / q, -1.0, 1.0);
}

// The flat index of an invocation in a 1-D problem dispatched as a 2-D grid of workgroups
// (a row of maxComputeWorkgroupsPerDimension can be too short for a large tensor).
fn flat_index(wid: vec3<u32>, groups: vec3<u32>, lid: u32, size: u32) -> u32 {
  return (wid.y * groups.x + wid.x) * size + lid;
}

// NaN by its bits: compilers may fold `v != v` to false (WGSL lets them assume no NaN).
fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

// A quiet NaN and +Infinity, made at run time: a NaN or infinite constant is an error in
// WGSL (const-expressions must be finite), and x - x for a NaN could be folded to 0.
var<private> nan_bits: u32 = 0x7fc00000u;
var<private> inf_bits: u32 = 0x7f800000u;
fn nan_f32() -> f32 {
  return bitcast<f32>(nan_bits);
}
fn inf_f32() -> f32 {
  return bitcast<f32>(inf_bits);
}

// Whether v is finite: neither NaN nor an infinity (by its bits, as is_nan).
fn is_finite(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7f800000u) != 0x7f800000u;
}

// Math.max's rule: a NaN wins, and once taken stays.
fn nan_max(m: f32, v: f32) -> f32 {
  return select(m, v, !is_nan(m) && (v > m || is_nan(v)));
}

// dot4I8Packed without the language extension packed_4x8_integer_dot_product: the four signed
// bytes of each word unpacked and multiplied (src/backends/webgpu/wgsl.ts substitutes it).
fn dot4I8Unpacked(a: u32, b: u32) -> i32 {
  let x = vec4<i32>(i32(a << 24u) >> 24u, i32(a << 16u) >> 24u, i32(a << 8u) >> 24u, i32(a) >> 24u);
  let y = vec4<i32>(i32(b << 24u) >> 24u, i32(b << 16u) >> 24u, i32(b << 8u) >> 24u, i32(b) >> 24u);
  return dot(x, y);
}

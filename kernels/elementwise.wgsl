// Unary elementwise ops: y[i] = f(x[i]) for i < count, in place when y_off == x_off.
// The op is an override constant, so each op is its own pipeline with no branch at run
// time; sizes, offsets and op parameters are uniforms, so one pipeline serves every shape.

const OP_RELU: u32 = 1u;
const OP_CLIP: u32 = 2u;
const OP_LEAKYRELU: u32 = 3u;
const OP_TANH: u32 = 4u;
const OP_SIGMOID: u32 = 5u;
// Inference batchnorm, c = (i / inner) % channels:
// y = (x - mean[c]) * scale[c] / sqrt(var[c] + eps) + bias[c], eps = p0.
const OP_BATCHNORM: u32 = 6u;
// hardsigmoid, hardswish and silu: the epilogues' activate() (ACT codes of common.wgsl), p0/p1
// as there; gelu = x / 2 * (1 + erf(x / sqrt 2)), erf, sqrt.
const OP_HARDSIGMOID: u32 = 7u;
const OP_HARDSWISH: u32 = 8u;
const OP_SILU: u32 = 9u;
const OP_GELU: u32 = 10u;
const OP_ERF: u32 = 11u;
const OP_SQRT: u32 = 12u;
// qdq: the 8-bit grid of scale p0, p1 = qmin - zero point (ONNX QuantizeLinear ->
// DequantizeLinear): p0 * clamp(round(x / p0), p1, p1 + 255), ties to even; NaN gives p1.
const OP_QDQ: u32 = 13u;

override OP: u32 = OP_RELU;
override WORKGROUP_SIZE: u32 = 64u;

struct Params {
  count: u32,
  x_off: u32,
  y_off: u32,
  // clip: [p0, p1] = [min, max]; leakyrelu: p0 = alpha.
  p0: f32,
  p1: f32,
  // batchnorm: the statistics' offsets (any tensor: constants or computed).
  channels: u32,
  inner: u32,
  scale_off: u32,
  bias_off: u32,
  mean_off: u32,
  var_off: u32,
}

fn apply(v: f32, i: u32) -> f32 {
  // tanh and sigmoid keep NaN, as the reference (and PyTorch) do: on SwiftShader clamp(NaN)
  // is the lower bound and exp(NaN) is +inf, so NaN is tested by its bits.
  if (OP == OP_TANH) {
    // tanh is +-1 in f32 beyond |v| = 9.1: clamped so no implementation's exp overflows
    // (tanh(+-inf) = +-1).
    return select(tanh(clamp(v, -10.0, 10.0)), v, is_nan(v));
  }
  if (OP == OP_SIGMOID) {
    // sigmoid(-inf) = 1 / (1 + inf) = 0, sigmoid(inf) = 1 / (1 + 0) = 1.
    return select(1.0 / (1.0 + exp(-v)), v, is_nan(v));
  }
  if (OP == OP_BATCHNORM) {
    let c = (i / params.inner) % params.channels;
    let a = arena[params.scale_off + c] / sqrt(arena[params.var_off + c] + params.p0);
    return v * a + (arena[params.bias_off + c] - arena[params.mean_off + c] * a);
  }
  if (OP == OP_HARDSIGMOID) {
    return activate(ACT_HARDSIGMOID, v, params.p0, params.p1);
  }
  if (OP == OP_HARDSWISH) {
    return activate(ACT_HARDSWISH, v, params.p0, params.p1);
  }
  if (OP == OP_SILU) {
    return activate(ACT_SILU, v, 0.0, 0.0);
  }
  if (OP == OP_GELU) {
    // -inf * 0 = NaN at -inf, as PyTorch.
    return activate(ACT_GELU, v, 0.0, 0.0);
  }
  if (OP == OP_ERF) {
    return select(erf_f32(v), v, is_nan(v));
  }
  if (OP == OP_QDQ) {
    let q = round(v / params.p0);
    return select(clamp(q, params.p1, params.p1 + 255.0), params.p1, is_nan(q)) * params.p0;
  }
  if (OP == OP_SQRT) {
    // NaN below 0 (WGSL leaves sqrt of a negative indeterminate); sqrt(-0) = -0, sqrt(inf) = inf.
    return select(select(sqrt(v), v, v == 0.0), nan_f32(), v < 0.0 || is_nan(v));
  }
  return activate(OP, v, params.p0, params.p1);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let i = flat_index(wid, groups, lid, WORKGROUP_SIZE);
  if (i >= params.count) {
    return;
  }
  arena[params.y_off + i] = apply(arena[params.x_off + i], i);
}

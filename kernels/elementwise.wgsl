// Unary elementwise activations: y[i] = f(x[i]) for i < count.
// The op is an override constant, so each op is its own pipeline with no branch at run
// time; sizes and op parameters are uniforms, so one pipeline serves every shape.
// Comparisons use select() so NaN follows the reference kernels (relu(NaN) = 0, clip and
// leakyrelu pass NaN through); WGSL's max/min/clamp leave NaN unspecified.

const OP_RELU: u32 = 0u;
const OP_CLIP: u32 = 1u;
const OP_LEAKYRELU: u32 = 2u;

override OP: u32 = OP_RELU;
override WORKGROUP_SIZE: u32 = 64u;

struct Params {
  count: u32,
  // clip: [p0, p1] = [min, max]; leakyrelu: p0 = alpha.
  p0: f32,
  p1: f32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

fn apply(v: f32) -> f32 {
  if (OP == OP_CLIP) {
    return select(select(v, params.p1, v > params.p1), params.p0, v < params.p0);
  }
  if (OP == OP_LEAKYRELU) {
    return select(params.p0 * v, v, v >= 0.0);
  }
  return select(0.0, v, v > 0.0);
}

// Dispatched as a 2-D grid of workgroups when one row of maxComputeWorkgroupsPerDimension
// is too short for the tensor.
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(
  @builtin(global_invocation_id) gid: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
) {
  let i = gid.y * groups.x * WORKGROUP_SIZE + gid.x;
  if (i >= params.count) {
    return;
  }
  y[i] = apply(x[i]);
}

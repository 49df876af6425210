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

// Comparisons use select() so NaN follows the reference kernels (relu(NaN) = 0, clip and
// leakyrelu pass NaN through); WGSL's max/min/clamp leave NaN unspecified.
// clip: [p0, p1] = [min, max]; leakyrelu: p0 = alpha.
fn activate(act: u32, v: f32, p0: f32, p1: f32) -> f32 {
  switch act {
    case 1u: { return select(0.0, v, v > 0.0); }
    case 2u: { return select(select(v, p1, v > p1), p0, v < p0); }
    case 3u: { return select(p0 * v, v, v >= 0.0); }
    default: { return v; }
  }
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

// Math.max's rule: a NaN wins, and once taken stays.
fn nan_max(m: f32, v: f32) -> f32 {
  return select(m, v, !is_nan(m) && (v > m || is_nan(v)));
}

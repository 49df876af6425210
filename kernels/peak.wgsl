// The device's peaks, for the benchmark's roofline (src/backends/webgpu/peaks.ts).
// fma_peak: each invocation runs 8 independent vec4 multiply-add chains for `iterations`
// steps: 64 FLOPs a step, nothing read, one value written so no step can be dropped.
// dot4_peak: 8 independent int32 chains of dot4I8Packed + add for `iterations` steps: 32
// multiply-adds (64 integer ops) a step, the int8 kernel's instruction (kernels/qconv2d.wgsl).
// stream_sum: each invocation sums `per` consecutive floats of the buffer (read bandwidth).

override WORKGROUP_SIZE: u32 = 256u;

struct Params {
  iterations: u32,
  per: u32,
  count: u32,
  out_off: u32,
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn fma_peak(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let i = flat_index(wid, groups, lid, WORKGROUP_SIZE);
  let s = f32(i) * 1e-9;
  let m = vec4<f32>(0.999999);
  let a = vec4<f32>(1e-7);
  var c0 = vec4<f32>(s);
  var c1 = vec4<f32>(s + 1.0);
  var c2 = vec4<f32>(s + 2.0);
  var c3 = vec4<f32>(s + 3.0);
  var c4 = vec4<f32>(s + 4.0);
  var c5 = vec4<f32>(s + 5.0);
  var c6 = vec4<f32>(s + 6.0);
  var c7 = vec4<f32>(s + 7.0);
  for (var k = 0u; k < params.iterations; k++) {
    c0 = fma(c0, m, a);
    c1 = fma(c1, m, a);
    c2 = fma(c2, m, a);
    c3 = fma(c3, m, a);
    c4 = fma(c4, m, a);
    c5 = fma(c5, m, a);
    c6 = fma(c6, m, a);
    c7 = fma(c7, m, a);
  }
  let v = (c0 + c1) + (c2 + c3) + (c4 + c5) + (c6 + c7);
  if (i < params.count) {
    arena[params.out_off + i] = v.x + v.y + v.z + v.w;
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn dot4_peak(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let i = flat_index(wid, groups, lid, WORKGROUP_SIZE);
  let b = 0x01ff02feu ^ i;
  // Each step's word is the chain's last sum, so no step can be hoisted or dropped.
  var c0 = i32(i);
  var c1 = i32(i) + 1;
  var c2 = i32(i) + 2;
  var c3 = i32(i) + 3;
  var c4 = i32(i) + 4;
  var c5 = i32(i) + 5;
  var c6 = i32(i) + 6;
  var c7 = i32(i) + 7;
  for (var k = 0u; k < params.iterations; k++) {
    c0 += dot4I8Packed(u32(c0), b);
    c1 += dot4I8Packed(u32(c1), b);
    c2 += dot4I8Packed(u32(c2), b);
    c3 += dot4I8Packed(u32(c3), b);
    c4 += dot4I8Packed(u32(c4), b);
    c5 += dot4I8Packed(u32(c5), b);
    c6 += dot4I8Packed(u32(c6), b);
    c7 += dot4I8Packed(u32(c7), b);
  }
  if (i < params.count) {
    arena[params.out_off + i] = f32((c0 ^ c1) + (c2 ^ c3) + (c4 ^ c5) + (c6 ^ c7));
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn stream_sum(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let i = flat_index(wid, groups, lid, WORKGROUP_SIZE);
  if (i >= params.count) {
    return;
  }
  // Invocation i reads elements i, i + count, i + 2 count, ...: neighbours read neighbours.
  var s = vec4<f32>(0.0);
  var k = i;
  for (var r = 0u; r + 3u < params.per; r += 4u) {
    s += vec4<f32>(arena[k], arena[k + params.count], arena[k + 2u * params.count], arena[k + 3u * params.count]);
    k += 4u * params.count;
  }
  arena[params.out_off + i] = s.x + s.y + s.z + s.w;
}

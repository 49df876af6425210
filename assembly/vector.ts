// f32 vector helpers shared by the elementwise, pooling and normalisation kernels.

/** Sets n floats at dst to v (memory.fill sets bytes only). */
@inline export function fillF32(dst: usize, n: i32, v: f32): void {
  const vv = f32x4.splat(v);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), vv);
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), v);
}

/** Sum of the four lanes. */
@inline export function hsum(v: v128): f32 {
  const s = f32x4.add(v, i32x4.shuffle(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(f32x4.add(s, i32x4.shuffle(s, s, 1, 0, 3, 2)), 0);
}

/** Largest of the four lanes. */
@inline export function hmax(v: v128): f32 {
  const s = f32x4.max(v, i32x4.shuffle(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(f32x4.max(s, i32x4.shuffle(s, s, 1, 0, 3, 2)), 0);
}

/** Mathf.exp on each lane: wasm has no vector transcendental. */
@inline export function expLanes(v: v128): v128 {
  let r = f32x4.splat(Mathf.exp(f32x4.extract_lane(v, 0)));
  r = f32x4.replace_lane(r, 1, Mathf.exp(f32x4.extract_lane(v, 1)));
  r = f32x4.replace_lane(r, 2, Mathf.exp(f32x4.extract_lane(v, 2)));
  return f32x4.replace_lane(r, 3, Mathf.exp(f32x4.extract_lane(v, 3)));
}

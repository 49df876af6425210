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

// exp and log below are table-free on purpose: Mathf.exp/pow read lookup tables from the
// module's static data, which sits in the same memory the host plans for activations.

/**
 * e^x per lane: x = n ln2 + r, |r| <= ln2/2, e^r by its Taylor series to degree 6 (error
 * below 2e-7 relative), times 2^n applied as two halves so that overflow to +inf and
 * underflow to 0 happen in the multiply, as in the reference.
 */
@inline export function vexp(x: v128): v128 {
  x = f32x4.min(f32x4.max(x, f32x4.splat(-104)), f32x4.splat(89)); // past both: 0 and +inf anyway
  const vn = f32x4.nearest(f32x4.mul(x, f32x4.splat(1.44269504)));
  let r = f32x4.sub(x, f32x4.mul(vn, f32x4.splat(0.693145751953125)));
  r = f32x4.sub(r, f32x4.mul(vn, f32x4.splat(1.428606765330187e-6)));
  let p = f32x4.add(f32x4.mul(r, f32x4.splat(1.0 / 720)), f32x4.splat(1.0 / 120));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0 / 24));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0 / 6));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(0.5));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1));
  const n = i32x4.trunc_sat_f32x4_s(vn);
  const h = i32x4.shr_s(n, 1);
  const bias = i32x4.splat(127);
  const s1 = i32x4.shl(i32x4.add(h, bias), 23);
  const s2 = i32x4.shl(i32x4.add(i32x4.sub(n, h), bias), 23);
  return f32x4.mul(f32x4.mul(p, s1), s2);
}

/**
 * ln x per lane: x = m 2^e with m in [sqrt(1/2), sqrt(2)), and ln m = 2 atanh(s),
 * s = (m - 1) / (m + 1), by its series to s^9 (error below 1e-8). Subnormals are scaled by
 * 2^24 first; the rest as Math.log: ln(+inf) = +inf, ln(+-0) = -inf, ln(x < 0) = ln(NaN) =
 * NaN (the bit arithmetic alone would give finite values for these, which let a NaN or an
 * infinity vanish from LRN's power).
 */
@inline export function vlog(x0: v128): v128 {
  const tiny = f32x4.lt(x0, f32x4.splat(1.17549435e-38)); // below the least normal (or negative, or 0)
  const x = v128.bitselect(f32x4.mul(x0, f32x4.splat(16777216)), x0, tiny);
  let e = i32x4.sub(i32x4.sub(i32x4.shr_s(x, 23), i32x4.splat(127)), v128.and(tiny, i32x4.splat(24)));
  let m = v128.or(v128.and(x, i32x4.splat(0x7fffff)), i32x4.splat(0x3f800000));
  const big = f32x4.gt(m, f32x4.splat(1.41421356));
  m = v128.bitselect(f32x4.mul(m, f32x4.splat(0.5)), m, big);
  e = i32x4.sub(e, big); // a true lane is -1
  const s = f32x4.div(f32x4.sub(m, f32x4.splat(1)), f32x4.add(m, f32x4.splat(1)));
  const s2 = f32x4.mul(s, s);
  let q = f32x4.add(f32x4.mul(s2, f32x4.splat(1.0 / 9)), f32x4.splat(1.0 / 7));
  q = f32x4.add(f32x4.mul(q, s2), f32x4.splat(1.0 / 5));
  q = f32x4.add(f32x4.mul(q, s2), f32x4.splat(1.0 / 3));
  q = f32x4.add(f32x4.mul(q, s2), f32x4.splat(1));
  const lnm = f32x4.mul(f32x4.add(s, s), q);
  let r = f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(e), f32x4.splat(0.693147181)), lnm);
  r = v128.bitselect(f32x4.splat(Infinity), r, f32x4.eq(x0, f32x4.splat(Infinity)));
  r = v128.bitselect(f32x4.splat(-Infinity), r, f32x4.eq(x0, f32x4.splat(0)));
  // x < 0, and NaN (the only x not equal to itself): NaN.
  return v128.bitselect(f32x4.splat(NaN), r, v128.or(f32x4.lt(x0, f32x4.splat(0)), f32x4.ne(x0, x0)));
}

/** A scalar through a vector function (for loop tails). */
@inline export function lane0(v: v128): f32 {
  return f32x4.extract_lane(v, 0);
}

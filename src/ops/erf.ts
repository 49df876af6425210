/**
 * The error function in float64, for the reference kernels (erf, gelu): the Maclaurin series
 * below |x| = 3 (its terms peak near 170 at x = 3, so about 13 digits survive), the
 * continued fraction of erfc above (Laplace's, evaluated from the 60th term back: converged
 * to double precision for x >= 3). erf(+-inf) = +-1, erf(NaN) = NaN, erf(-0) = -0.
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return x;
  const a = Math.abs(x);
  if (a < 3) {
    // erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1))
    let term = x;
    let sum = x;
    const x2 = x * x;
    for (let n = 1; n < 100; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  if (a === Infinity) return Math.sign(x);
  // erfc(a) = e^(-a^2) / sqrt(pi) / (a + (1/2) / (a + 1 / (a + (3/2) / (a + 2 / (a + ...)))))
  let t = a;
  for (let k = 60; k >= 1; k--) t = a + k / 2 / t;
  const erfc = Math.exp(-a * a) / Math.sqrt(Math.PI) / t;
  return Math.sign(x) * (1 - erfc);
}

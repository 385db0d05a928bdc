/**
 * Arithmetic on numbers stored as their natural logarithm, for the RDP series whose terms
 * under- or overflow doubles (exp(-800), binomial coefficients of order 512). Zero is -Infinity.
 */

/** log(exp(a) + exp(b)). */
export function logAdd(a: number, b: number): number {
  const lo = Math.min(a, b);
  const hi = Math.max(a, b);
  if (lo === -Infinity) return hi;
  return Math.log1p(Math.exp(lo - hi)) + hi;
}

/** log(exp(a) - exp(b)) for a >= b (throws otherwise: the result would be negative). */
export function logSub(a: number, b: number): number {
  if (a < b) throw new RangeError(`logSub: log(exp(${a}) - exp(${b})) is the log of a negative`);
  if (b === -Infinity) return a;
  if (a === b) return -Infinity;
  const diff = a - b;
  // exp(diff) - 1 overflows past ~709; there exp(b) is below a's last bit anyway.
  if (diff > 700) return a;
  return Math.log(Math.expm1(diff)) + b;
}

/**
 * log(erfc(x)) to double precision for every real x, including x far in the tail where erfc(x)
 * underflows (erfc(27) < 1e-318): the sampled Gaussian mechanism's series for fractional orders
 * needs it (TF Privacy and Opacus use scipy's log_ndtr for the same).
 *
 * W. J. Cody's rational Chebyshev approximations ("Rational Chebyshev approximations for the
 * error function", Math. Comp. 23, 1969; SPECFUN CALERF), relative error below 1e-15: erf on
 * |x| <= 0.46875, and exp(x^2) erfc(x) on [0.46875, 4] and beyond 4. Working in log space, the
 * last two give log erfc(x) = log(exp(x^2) erfc(x)) - x^2 without ever forming exp(-x^2).
 * Cody published 18 significant digits; below each is the double they round to (shortest form).
 */

const SQRT_1_OVER_PI = 0.5641895835477563;

const A = [
  3.1611237438705655, 113.86415415105016, 377.485237685302, 3209.3775891384694, 0.18577770618460315,
] as const;
const B = [23.601290952344122, 244.02463793444417, 1282.6165260773723, 2844.236833439171] as const;
const C = [
  0.5641884969886701, 8.883149794388377, 66.11919063714163, 298.6351381974001, 881.952221241769,
  1712.0476126340707, 2051.0783778260716, 1230.3393547979972, 2.1531153547440383e-8,
] as const;
const D = [
  15.744926110709835, 117.6939508913125, 537.1811018620099, 1621.3895745666903, 3290.7992357334597,
  4362.619090143247, 3439.3676741437216, 1230.3393548037495,
] as const;
const P = [
  0.30532663496123236, 0.36034489994980445, 0.12578172611122926, 0.016083785148742275,
  0.0006587491615298378, 0.016315387137302097,
] as const;
const Q = [
  2.568520192289822, 1.8729528499234604, 0.5279051029514285, 0.06051834131244132,
  0.0023352049762686918,
] as const;

/** erf(x) for |x| <= 0.46875. */
function erfSmall(x: number): number {
  const y = Math.abs(x);
  const ysq = y > 1.11e-16 ? y * y : 0;
  let num = A[4] * ysq;
  let den = ysq;
  for (let i = 0; i < 3; i++) {
    num = (num + A[i]!) * ysq;
    den = (den + B[i]!) * ysq;
  }
  return (x * (num + A[3])) / (den + B[3]);
}

/** exp(y^2) erfc(y) for y > 0.46875 (the scaled complementary error function). */
function erfcxLarge(y: number): number {
  if (y <= 4) {
    let num = C[8] * y;
    let den = y;
    for (let i = 0; i < 7; i++) {
      num = (num + C[i]!) * y;
      den = (den + D[i]!) * y;
    }
    return (num + C[7]) / (den + D[7]);
  }
  const ysq = 1 / (y * y);
  let num = P[5] * ysq;
  let den = ysq;
  for (let i = 0; i < 4; i++) {
    num = (num + P[i]!) * ysq;
    den = (den + Q[i]!) * ysq;
  }
  const r = (ysq * (num + P[4])) / (den + Q[4]);
  return (SQRT_1_OVER_PI - r) / y;
}

/** -y^2, computed as Cody does (split at a multiple of 1/16) so it keeps its low bits. */
function minusSquare(y: number): number {
  const head = Math.trunc(16 * y) / 16;
  const del = (y - head) * (y + head);
  return -head * head - del;
}

/** erfc(x); underflows to 0 past x ~ 26.5 (use logErfc there). */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x === Infinity) return 0;
  if (x === -Infinity) return 2;
  const y = Math.abs(x);
  if (y <= 0.46875) return 1 - erfSmall(x);
  const tail = Math.exp(minusSquare(y)) * erfcxLarge(y);
  return x < 0 ? 2 - tail : tail;
}

/** log(erfc(x)), finite for every finite x (about -x^2 - log(x sqrt(pi)) for large x). */
export function logErfc(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x === Infinity) return -Infinity;
  if (x <= 0.46875) return Math.log(erfc(x));
  return Math.log(erfcxLarge(x)) + minusSquare(x);
}

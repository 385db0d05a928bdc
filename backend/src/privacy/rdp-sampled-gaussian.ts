import { logErfc } from "./log-erfc.js";
import { logAdd, logSub } from "./log-space.js";

/**
 * Rényi differential privacy of the Sampled Gaussian Mechanism (SGM): each record (here: each
 * user) is included independently with probability q (Poisson sampling), the included records'
 * contributions, each of L2 norm at most S, are summed, and Gaussian noise of std z * S is added
 * (z = noise multiplier). Under add/remove-one adjacency its RDP of order alpha is
 * log(A_alpha) / (alpha - 1) (Mironov, Talwar, Zhang 2019, "Rényi Differential Privacy of the
 * Sampled Gaussian Mechanism", Section 3.3), where
 *
 *   A_alpha = E_{x ~ N(0, z^2)} [ ((1 - q) + q exp((2x - 1) / (2 z^2)))^alpha ].
 *
 * Integer alpha: the binomial expansion, a finite sum
 *   A_alpha = sum_{i=0..alpha} C(alpha, i) q^i (1-q)^(alpha-i) exp((i^2 - i) / (2 z^2)).
 * Fractional alpha: the same expansion split at z0 = z^2 log(1/q - 1) + 1/2 into two convergent
 * series with erfc factors, summed until both terms fall below e^-30. Everything is summed in
 * log space. This is the computation of TF Privacy's rdp_accountant.compute_rdp and Opacus's
 * accountants/analysis/rdp.py, term for term, so results agree with theirs to rounding.
 */

/** log |C(alpha, i)| for i = 0, 1, ... and the sign of C(alpha, i), for real alpha. */
function* logAbsBinomials(alpha: number): Generator<{ i: number; logAbs: number; sign: number }> {
  let logAbs = 0;
  let sign = 1;
  for (let i = 0; ; i++) {
    yield { i, logAbs, sign };
    // C(alpha, i + 1) = C(alpha, i) * (alpha - i) / (i + 1)
    const factor = (alpha - i) / (i + 1);
    if (factor === 0) {
      logAbs = -Infinity;
    } else {
      logAbs += Math.log(Math.abs(factor));
      if (factor < 0) sign = -sign;
    }
  }
}

function logAForIntegerOrder(q: number, z: number, alpha: number): number {
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  let logA = -Infinity;
  for (const { i, logAbs } of logAbsBinomials(alpha)) {
    if (i > alpha) break;
    const term = logAbs + i * logQ + (alpha - i) * log1mQ + (i * i - i) / (2 * z * z);
    logA = logAdd(logA, term);
  }
  return logA;
}

function logAForFractionalOrder(q: number, z: number, alpha: number): number {
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  const z0 = z * z * Math.log(1 / q - 1) + 0.5;
  const scale = Math.SQRT2 * z;
  let logA0 = -Infinity;
  let logA1 = -Infinity;
  for (const { i, logAbs, sign } of logAbsBinomials(alpha)) {
    const j = alpha - i;
    const logT0 = logAbs + i * logQ + j * log1mQ;
    const logT1 = logAbs + j * logQ + i * log1mQ;
    const logE0 = Math.log(0.5) + logErfc((i - z0) / scale);
    const logE1 = Math.log(0.5) + logErfc((z0 - j) / scale);
    const logS0 = logT0 + (i * i - i) / (2 * z * z) + logE0;
    const logS1 = logT1 + (j * j - j) / (2 * z * z) + logE1;
    if (sign > 0) {
      logA0 = logAdd(logA0, logS0);
      logA1 = logAdd(logA1, logS1);
    } else {
      logA0 = logSub(logA0, logS0);
      logA1 = logSub(logA1, logS1);
    }
    if (Math.max(logS0, logS1) < -30) break;
    if (i > 100_000)
      throw new Error(`RDP series for alpha=${alpha}, q=${q}, z=${z} did not converge`);
  }
  return logAdd(logA0, logA1);
}

function checkSamplingRate(q: number): void {
  if (!(Number.isFinite(q) && q >= 0 && q <= 1))
    throw new RangeError(`sampling rate must be a number in [0, 1], got ${q}`);
}

function checkNoiseMultiplier(z: number): void {
  if (!(Number.isFinite(z) && z >= 0))
    throw new RangeError(`noise multiplier must be a finite number >= 0, got ${z}`);
}

function checkOrder(alpha: number): void {
  if (!(alpha > 1)) throw new RangeError(`RDP order must be > 1 (Infinity allowed), got ${alpha}`);
}

/**
 * RDP of ONE application of the SGM at order alpha: 0 when q = 0, Infinity when z = 0 (no
 * noise), alpha / (2 z^2) when q = 1 (the plain Gaussian mechanism), Infinity at alpha = Infinity.
 */
export function sampledGaussianRdp(q: number, noiseMultiplier: number, alpha: number): number {
  checkSamplingRate(q);
  checkNoiseMultiplier(noiseMultiplier);
  checkOrder(alpha);
  if (q === 0) return 0;
  if (noiseMultiplier === 0) return Infinity;
  if (q === 1) return alpha / (2 * noiseMultiplier * noiseMultiplier);
  if (alpha === Infinity) return Infinity;
  const logA = Number.isInteger(alpha)
    ? logAForIntegerOrder(q, noiseMultiplier, alpha)
    : logAForFractionalOrder(q, noiseMultiplier, alpha);
  return logA / (alpha - 1);
}

/**
 * RDP of `steps` applications of the SGM (RDP composes additively), at each of `orders`: TF
 * Privacy's and Opacus's compute_rdp(q, noise_multiplier, steps, orders).
 */
export function sampledGaussianRdpCurve(
  q: number,
  noiseMultiplier: number,
  steps: number,
  orders: readonly number[],
): number[] {
  checkSamplingRate(q);
  checkNoiseMultiplier(noiseMultiplier);
  if (!(Number.isInteger(steps) && steps >= 0))
    throw new RangeError(`steps must be an integer >= 0, got ${steps}`);
  return orders.map((alpha) =>
    steps === 0 ? 0 : sampledGaussianRdp(q, noiseMultiplier, alpha) * steps,
  );
}

/**
 * From an RDP curve (epsilon_RDP at each order alpha) to an (epsilon, delta)-DP guarantee: each
 * order gives a valid epsilon for the target delta, and the smallest one is reported with the
 * order that gave it.
 *
 * - "balle2020" (default): Balle, Barthe, Gaboardi, Hsu, Sato 2020, "Hypothesis Testing
 *   Interpretations and Rényi Differential Privacy", Theorem 21:
 *     eps = rdp - (log(delta) + log(alpha)) / (alpha - 1) + log((alpha - 1) / alpha).
 *   What Opacus's get_privacy_spent and dp_accounting (current TF Privacy) compute.
 * - "mironov2017": the original conversion (Mironov 2017, "Rényi Differential Privacy",
 *   Proposition 3): eps = rdp - log(delta) / (alpha - 1). Always looser; what TF Privacy used
 *   until 2021, so its published numbers (e.g. eps = 3.01 for the MNIST DP-SGD tutorial) are in
 *   this conversion.
 *
 * As dp_accounting does, a negative minimum is reported as 0 (an (eps < 0, delta) guarantee
 * implies (0, delta)), and so is a curve whose RDP r at some order has 1 - exp(-r) < delta^2
 * (q = 0, say), where Opacus reports a small positive epsilon.
 */
export type RdpConversion = "balle2020" | "mironov2017";

export interface EpsilonAtOrder {
  epsilon: number;
  /** The order alpha at which the minimum was reached; null when epsilon is Infinity. */
  order: number | null;
}

export function checkDelta(delta: number): void {
  if (!(Number.isFinite(delta) && delta > 0 && delta < 1))
    throw new RangeError(`delta must be a number in (0, 1), got ${delta}`);
}

export function epsilonFromRdp(
  orders: readonly number[],
  rdp: readonly number[],
  delta: number,
  conversion: RdpConversion = "balle2020",
): EpsilonAtOrder {
  checkDelta(delta);
  if (conversion !== "balle2020" && conversion !== "mironov2017")
    throw new RangeError(
      `conversion must be "balle2020" or "mironov2017", got ${String(conversion)}`,
    );
  if (orders.length !== rdp.length)
    throw new RangeError(`${orders.length} orders but ${rdp.length} RDP values`);
  if (orders.length === 0) throw new RangeError("at least one RDP order is needed");
  let best: EpsilonAtOrder = { epsilon: Infinity, order: null };
  const logDelta = Math.log(delta);
  orders.forEach((alpha, k) => {
    if (!(alpha > 1 && Number.isFinite(alpha)))
      throw new RangeError(`RDP orders must be finite and > 1, got ${alpha}`);
    const r = rdp[k]!;
    if (!(r >= 0)) throw new RangeError(`RDP values must be >= 0, got ${r} at order ${alpha}`);
    // D_alpha >= KL for alpha > 1, and delta(0) <= sqrt(1 - exp(-KL)) (Bretagnolle-Huber): a
    // curve this flat is already (0, delta)-DP (dp_accounting's shortcut; Opacus has none).
    const eps =
      delta * delta + Math.expm1(-r) > 0
        ? 0
        : conversion === "balle2020"
          ? r - (logDelta + Math.log(alpha)) / (alpha - 1) + Math.log((alpha - 1) / alpha)
          : r - logDelta / (alpha - 1);
    if (eps < best.epsilon) best = { epsilon: eps, order: alpha };
  });
  if (best.epsilon < 0) best = { epsilon: 0, order: best.order };
  return best;
}

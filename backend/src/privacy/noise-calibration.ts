/**
 * How much Gaussian noise DP-FedAvg adds, and which noise multiplier the RDP accountant must be
 * given for it. Notation: C = clip norm, z = noise multiplier, n = number of clients whose
 * noised deltas are summed in the round, K = all clients, q = probability a client is in a round.
 *
 * Central noise (McMahan et al. 2018, "Learning Differentially Private Recurrent Language
 * Models", DP-FedAvg): clients clip, the coordinator sums the clipped deltas and adds
 * N(0, (z C)^2 I) once. One user changes the sum by at most C, so the sum is a Gaussian
 * mechanism with noise multiplier z: account `step(z, q)` per round.
 *
 * Local noise (each client adds its own, the coordinator adds none): client k sends
 *   clip(delta_k, C) + N(0, (z C)^2 I),                   std z C  (`localNoiseStd`)
 * and the sum of n of them carries N(0, n z^2 C^2 I), std sqrt(n) z C. Sensitivity is still C,
 * so the SUM (and the average with a fixed denominator, which is post-processing) is a Gaussian
 * mechanism with noise multiplier
 *   z_central = sqrt(n) * z                               (`aggregateNoiseMultiplier`)
 * and the accountant takes `step(sqrt(n) * z, q)`. Conversely a target z_central needs
 * z = z_central / sqrt(n) per client (`localNoiseMultiplierFor`); TensorFlow Federated's
 * distributed DP splits its noise the same way.
 *
 * What that number assumes, and when to use the weaker local one instead:
 * 1. The observer sees only the sum or the new global model, and not who took part (the
 *    amplification by sampling, q < 1, needs the sample to be secret). That holds for a third
 *    party given the model; for the coordinator only if updates are summed by secure aggregation
 *    (backend/src/secagg). A coordinator that sees each noised delta, and anyone reading the
 *    ledger (FedLedger records every round's contributors and rewards computed from their
 *    individual updates on chain), get per user the LOCAL guarantee: a Gaussian mechanism with
 *    multiplier z per round the user took part in, no amplification: account
 *    `step(z, 1, roundsTheUserJoined)` (`localAccountingSteps`).
 * 2. n counts the noise shares actually in the sum: when nodes drop out, use the number of deltas
 *    aggregated that round, never the number selected.
 * 3. Adjacency is "zero-out": the user's node still sends its noise share, its data's
 *    contribution is replaced by zero. With local noise, a client's absence would also remove
 *    its noise, and the variance of a high-dimensional sum reveals how many shares it holds; the
 *    guarantee is about a user's data, not about whether its node was online.
 * 4. The RDP bound is for Poisson sampling; FedAvg's selection takes exactly round(q K) clients
 *    without replacement. Accounting such rounds with q = m / K is the usual approximation (the
 *    TF Privacy and Opacus tutorials do the same for shuffled batches), not a proof.
 */

function check(name: string, v: number, min: number, strict: boolean): void {
  if (!(Number.isFinite(v) && (strict ? v > min : v >= min)))
    throw new RangeError(`${name} must be a finite number ${strict ? ">" : ">="} ${min}, got ${v}`);
}

/** Std of the noise one client adds to its clipped delta: z * C. */
export function localNoiseStd(noiseMultiplier: number, clipNorm: number): number {
  check("noise multiplier", noiseMultiplier, 0, false);
  check("clip norm", clipNorm, 0, true);
  return noiseMultiplier * clipNorm;
}

/** Noise multiplier of the sum of `noisedClients` deltas each noised with multiplier z. */
export function aggregateNoiseMultiplier(localMultiplier: number, noisedClients: number): number {
  check("local noise multiplier", localMultiplier, 0, false);
  if (!(Number.isInteger(noisedClients) && noisedClients >= 1))
    throw new RangeError(`noised clients must be an integer >= 1, got ${noisedClients}`);
  return localMultiplier * Math.sqrt(noisedClients);
}

/** Per-client multiplier that gives the sum of `noisedClients` deltas this multiplier. */
export function localNoiseMultiplierFor(
  aggregateMultiplier: number,
  noisedClients: number,
): number {
  check("aggregate noise multiplier", aggregateMultiplier, 0, false);
  if (!(Number.isInteger(noisedClients) && noisedClients >= 1))
    throw new RangeError(`noised clients must be an integer >= 1, got ${noisedClients}`);
  return aggregateMultiplier / Math.sqrt(noisedClients);
}

/**
 * The accountant steps of the local guarantee for one user (see 1. above): the plain Gaussian
 * mechanism (q = 1) with the client's own multiplier, once per round the user took part in.
 */
export function localAccountingSteps(
  localMultiplier: number,
  roundsJoined: number,
): { noiseMultiplier: number; samplingRate: 1; steps: number } {
  check("local noise multiplier", localMultiplier, 0, false);
  if (!(Number.isInteger(roundsJoined) && roundsJoined >= 1))
    throw new RangeError(`rounds joined must be an integer >= 1, got ${roundsJoined}`);
  return { noiseMultiplier: localMultiplier, samplingRate: 1, steps: roundsJoined };
}

import type { NormalSource } from "./gaussian-noise.js";

/**
 * Adaptive clipping (Andrew, Thakkar, McMahan, Ramaswamy 2021, "Differentially Private Learning
 * with Adaptive Clipping"): instead of a hand-tuned clip norm C, track the gamma-quantile of the
 * clients' delta norms privately. Each round every client reports b_i = 1 if ||delta_i|| <= C
 * (before clipping), the coordinator forms the noised fraction
 *   b_bar = (sum_i (b_i - 1/2) + N(0, sigma_b^2)) / n_expected + 1/2,   clamped to [0, 1]
 * (centring b_i halves the sensitivity to 1/2; with n_expected = clients that is
 * (count + noise) / n, noise std sigma_b / n), and updates C geometrically:
 *   C <- C * exp(-eta_C * (b_bar - gamma)).
 * C shrinks while more than a fraction gamma of the clients fit under it and grows otherwise, so
 * it settles at the gamma-quantile of the norms.
 *
 * Privacy: the count is a second Gaussian query with noise multiplier 2 sigma_b. Released in the
 * same round as the delta sum (noise multiplier z_delta), the pair is one Gaussian mechanism with
 * 1 / z^2 = 1 / z_delta^2 + 1 / (2 sigma_b)^2; `deltaNoiseMultiplierWithAdaptiveClipping` solves
 * that for z_delta given the z the accountant is told (as TensorFlow Federated does). The paper's
 * and TFF's defaults: C0 = 0.1, gamma = 0.5, eta_C = 0.2, sigma_b = n_expected / 20.
 */

export interface AdaptiveClipNormOptions {
  /** C0 (default 0.1). */
  initialClipNorm?: number;
  /** gamma, the target fraction of clients whose delta norm is <= C (default 0.5). */
  targetQuantile?: number;
  /** eta_C (default 0.2). */
  learningRate?: number;
  /** sigma_b, std of the noise on the sum of the (centred) indicators; 0: not private (default 0). */
  countNoiseStd?: number;
}

/** Plain JSON, for checkpoints. */
export interface AdaptiveClipNormState {
  version: 1;
  clipNorm: number;
  targetQuantile: number;
  learningRate: number;
  countNoiseStd: number;
}

export interface ClipNormUpdate {
  previousClipNorm: number;
  clipNorm: number;
  /** b_bar: the noised fraction of clients at or below the previous clip norm, in [0, 1]. */
  unclippedFraction: number;
}

function checkPositive(name: string, v: number): void {
  if (!(Number.isFinite(v) && v > 0))
    throw new RangeError(`${name} must be a finite number > 0, got ${v}`);
}
function checkNonNegative(name: string, v: number): void {
  if (!(Number.isFinite(v) && v >= 0))
    throw new RangeError(`${name} must be a finite number >= 0, got ${v}`);
}
function checkState(s: Omit<AdaptiveClipNormState, "version">): void {
  checkPositive("clip norm", s.clipNorm);
  if (!(Number.isFinite(s.targetQuantile) && s.targetQuantile >= 0 && s.targetQuantile <= 1))
    throw new RangeError(`target quantile must be a number in [0, 1], got ${s.targetQuantile}`);
  checkNonNegative("clip norm learning rate", s.learningRate);
  checkNonNegative("count noise std", s.countNoiseStd);
}

export class AdaptiveClipNorm {
  private state: Omit<AdaptiveClipNormState, "version">;

  constructor(options: AdaptiveClipNormOptions = {}) {
    this.state = {
      clipNorm: options.initialClipNorm ?? 0.1,
      targetQuantile: options.targetQuantile ?? 0.5,
      learningRate: options.learningRate ?? 0.2,
      countNoiseStd: options.countNoiseStd ?? 0,
    };
    checkState(this.state);
  }

  /** The clip norm to use this round. */
  get clipNorm(): number {
    return this.state.clipNorm;
  }

  get targetQuantile(): number {
    return this.state.targetQuantile;
  }

  /** A client's indicator b_i: its delta norm (before clipping) is at or below the clip norm. */
  isUnclipped(norm: number): boolean {
    return norm <= this.state.clipNorm;
  }

  /**
   * One round's update from the number of clients whose norm was <= C (`unclippedCount` of
   * `clients` that reported), with the fixed denominator `expectedClients` (default `clients`).
   */
  update(
    unclippedCount: number,
    clients: number,
    rng: NormalSource,
    expectedClients = clients,
  ): ClipNormUpdate {
    if (!(Number.isInteger(clients) && clients >= 0))
      throw new RangeError(`clients must be an integer >= 0, got ${clients}`);
    if (!(Number.isInteger(unclippedCount) && unclippedCount >= 0 && unclippedCount <= clients))
      throw new RangeError(
        `unclipped count must be an integer in [0, ${clients}], got ${unclippedCount}`,
      );
    checkPositive("expected clients", expectedClients);
    const { clipNorm, targetQuantile, learningRate, countNoiseStd } = this.state;
    const noise = countNoiseStd > 0 ? countNoiseStd * rng.normal() : 0;
    const centredSum = unclippedCount - clients / 2 + noise;
    const fraction = Math.min(1, Math.max(0, centredSum / expectedClients + 0.5));
    const next = clipNorm * Math.exp(-learningRate * (fraction - targetQuantile));
    this.state = { ...this.state, clipNorm: next };
    return { previousClipNorm: clipNorm, clipNorm: next, unclippedFraction: fraction };
  }

  /** `update` from the clients' delta norms (when the coordinator sees them). */
  updateFromNorms(
    norms: readonly number[],
    rng: NormalSource,
    expectedClients = norms.length,
  ): ClipNormUpdate {
    const count = norms.filter((n) => this.isUnclipped(n)).length;
    return this.update(count, norms.length, rng, expectedClients);
  }

  toJSON(): AdaptiveClipNormState {
    return { version: 1, ...this.state };
  }

  static fromJSON(state: AdaptiveClipNormState): AdaptiveClipNorm {
    if (state === null || typeof state !== "object" || state.version !== 1)
      throw new RangeError(`unsupported adaptive clip state (version ${String(state?.version)})`);
    const c = new AdaptiveClipNorm();
    const restored = {
      clipNorm: state.clipNorm,
      targetQuantile: state.targetQuantile,
      learningRate: state.learningRate,
      countNoiseStd: state.countNoiseStd,
    };
    checkState(restored);
    c.state = restored;
    return c;
  }
}

/**
 * The noise multiplier to put on the delta sum so that the delta sum and the clipped count
 * together are a Gaussian mechanism with multiplier `totalNoiseMultiplier` (the one the RDP
 * accountant is told): z_delta = (z^-2 - (2 sigma_b)^-2)^(-1/2). Needs 2 sigma_b > z.
 */
export function deltaNoiseMultiplierWithAdaptiveClipping(
  totalNoiseMultiplier: number,
  countNoiseStd: number,
): number {
  checkNonNegative("noise multiplier", totalNoiseMultiplier);
  checkNonNegative("count noise std", countNoiseStd);
  if (totalNoiseMultiplier === 0) return 0;
  if (totalNoiseMultiplier >= 2 * countNoiseStd)
    throw new RangeError(
      `count noise std ${countNoiseStd} is too small for noise multiplier ${totalNoiseMultiplier}: ` +
        `2 * count noise std must exceed it (default count noise std: expected clients / 20)`,
    );
  return (totalNoiseMultiplier ** -2 - (2 * countNoiseStd) ** -2) ** -0.5;
}

import type { PrivacyReport, RoundPrivacy, RunConfig } from "../domain/index.js";
import {
  AdaptiveClipNorm,
  aggregateNoiseMultiplier,
  RdpAccountant,
  secureNormalSource,
  type AdaptiveClipNormState,
  type RdpAccountantState,
} from "./index.js";
import type { UpdatePrivacy } from "./private-update.js";

type PrivacySpec = NonNullable<RunConfig["privacy"]>;

/** A run's privacy state, saved with every checkpoint so a resumed run keeps its budget. */
export interface RunPrivacyState {
  version: 1;
  rounds: number;
  /** Rounds as a third party sees them: the averaged noised deltas, sampled nodes. */
  model: RdpAccountantState;
  /** Rounds as the coordinator sees them, for a node taking part in every round. */
  coordinator: RdpAccountantState;
  clip?: AdaptiveClipNormState;
}

export interface RoundOutcome {
  /** Nodes selected for the round, and all the run's nodes (sampling rate = selected / nodes). */
  selected: number;
  nodes: number;
  /** Noised deltas in the aggregate (honest nodes whose update was aggregated). */
  aggregated: number;
  /** Their "delta within the clip norm" bits, for adaptive clipping. */
  unclippedBits: readonly boolean[];
  /** Secure aggregation: the coordinator saw only the sum. */
  secure: boolean;
}

/**
 * DP-FedAvg bookkeeping for one run (user-level DP, one user = one node's data):
 *
 * - Every honest node clips its delta to C and adds N(0, (z C)^2); the coordinator averages the n
 *   aggregated deltas with equal weights, so the average carries noise multiplier z sqrt(n) for a
 *   sensitivity of C / n (aggregateNoiseMultiplier).
 * - Model epsilon, against anyone who only sees the global models: each round is a sampled
 *   Gaussian mechanism with q = selected / nodes and z sqrt(n); with adaptive clipping the noised
 *   count of unclipped nodes (noise std selected / 20, as in Andrew et al. 2021) is a second
 *   Gaussian query released in the same round, and the pair is accounted as one mechanism with
 *   1 / z_eff^2 = 1 / (z sqrt(n))^2 + 1 / (2 sigma_b)^2.
 * - Coordinator epsilon, against the coordinator itself: with plain aggregation it sees each
 *   node's noised delta, a Gaussian mechanism with multiplier z and no amplification by sampling
 *   (it knows who took part); with secure aggregation only the sum, multiplier z sqrt(n). It is
 *   accounted as if a node took part in every round, an upper bound for every node. The adaptive
 *   clipping bit a node reports is not covered by it.
 * - With z = 0 nodes only clip: no finite epsilon (reported as null).
 */
export class RunPrivacy {
  private constructor(
    readonly spec: PrivacySpec,
    /** Nodes selected per round (the adaptive clipping count's denominator and noise scale). */
    private readonly perRound: number,
    private rounds: number,
    private readonly model: RdpAccountant,
    private readonly coordinator: RdpAccountant,
    private readonly clip: AdaptiveClipNorm | undefined,
  ) {}

  static start(spec: PrivacySpec, perRound: number, state?: RunPrivacyState | null): RunPrivacy {
    const clip = spec.adaptiveClipping
      ? state?.clip
        ? AdaptiveClipNorm.fromJSON(state.clip)
        : new AdaptiveClipNorm({
            initialClipNorm: spec.clipNorm,
            targetQuantile: spec.adaptiveClipping.targetQuantile,
            learningRate: spec.adaptiveClipping.learningRate,
            // sigma_b = expected clients / 20 (Andrew et al. 2021; TFF's default).
            countNoiseStd: Math.max(1, perRound) / 20,
          })
      : undefined;
    return new RunPrivacy(
      spec,
      Math.max(1, perRound),
      state?.rounds ?? 0,
      state ? RdpAccountant.fromJSON(state.model) : new RdpAccountant(),
      state ? RdpAccountant.fromJSON(state.coordinator) : new RdpAccountant(),
      clip,
    );
  }

  /** What nodes are told this round. */
  roundParams(): UpdatePrivacy {
    return {
      clipNorm: this.clip?.clipNorm ?? this.spec.clipNorm,
      noiseMultiplier: this.spec.noiseMultiplier,
    };
  }

  /** The model mechanism's noise multiplier for a round that averages n deltas (with the clip count's). */
  private modelMultiplier(n: number): number {
    const z = this.spec.noiseMultiplier;
    const zAggregate = z > 0 ? aggregateNoiseMultiplier(z, Math.max(1, n)) : 0;
    if (!this.clip || zAggregate === 0) return zAggregate;
    const countMultiplier = 2 * (this.clip.toJSON().countNoiseStd || Infinity);
    return 1 / Math.sqrt(1 / zAggregate ** 2 + 1 / countMultiplier ** 2);
  }

  /**
   * The model epsilon after one more round that aggregates all `selected` of `nodes` (what the
   * budget check asks before a round starts); null without noise.
   */
  projectedEpsilon(selected: number, nodes: number): number | null {
    if (this.spec.noiseMultiplier <= 0) return null;
    const next = RdpAccountant.fromJSON(this.model.toJSON());
    next.step(this.modelMultiplier(selected), Math.min(1, selected / Math.max(1, nodes)));
    return next.getEpsilon(this.spec.delta).epsilon;
  }

  /** Accounts a finished round and adapts the clip norm; returns what the round record shows. */
  afterRound(o: RoundOutcome): RoundPrivacy {
    const { clipNorm, noiseMultiplier: z } = this.roundParams();
    const n = Math.max(1, o.aggregated);
    const zAggregate = z > 0 ? aggregateNoiseMultiplier(z, n) : 0;
    let unclippedFraction =
      o.unclippedBits.length > 0
        ? o.unclippedBits.filter(Boolean).length / o.unclippedBits.length
        : 1;
    let zModel = zAggregate;
    if (this.clip) {
      const bits = o.unclippedBits;
      const update = this.clip.update(
        bits.filter(Boolean).length,
        bits.length,
        secureNormalSource(),
        this.perRound,
      );
      unclippedFraction = update.unclippedFraction;
      const countMultiplier = 2 * (this.clip.toJSON().countNoiseStd || Infinity);
      if (zModel > 0) zModel = 1 / Math.sqrt(1 / zModel ** 2 + 1 / countMultiplier ** 2);
    }
    if (z > 0 && o.aggregated > 0) {
      this.model.step(zModel, Math.min(1, o.selected / Math.max(1, o.nodes)));
      this.coordinator.step(o.secure ? zAggregate : z, 1);
    }
    this.rounds += 1;
    const report = this.report();
    return {
      clipNorm,
      noiseMultiplier: z,
      aggregateNoiseMultiplier: zAggregate,
      unclippedFraction,
      epsilon: report.epsilon,
      coordinatorEpsilon: report.coordinatorEpsilon,
    };
  }

  report(): PrivacyReport {
    const finite = this.spec.noiseMultiplier > 0;
    const eps = (a: RdpAccountant) =>
      !finite ? null : a.totalSteps === 0 ? 0 : a.getEpsilon(this.spec.delta).epsilon;
    return {
      rounds: this.rounds,
      delta: this.spec.delta,
      epsilon: eps(this.model),
      coordinatorEpsilon: eps(this.coordinator),
      clipNorm: this.roundParams().clipNorm,
      noiseMultiplier: this.spec.noiseMultiplier,
    };
  }

  toJSON(): RunPrivacyState {
    return {
      version: 1,
      rounds: this.rounds,
      model: this.model.toJSON(),
      coordinator: this.coordinator.toJSON(),
      ...(this.clip ? { clip: this.clip.toJSON() } : {}),
    };
  }
}

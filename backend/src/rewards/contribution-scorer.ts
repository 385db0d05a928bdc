import type { ClientUpdate } from "../fl/strategies/strategy.js";
import { weightedMean } from "../fl/strategies/strategy.js";
import type { NodeScore, ValidationLosses } from "./policy-definition.js";
import { rewardPolicyEntry, type RewardSpec } from "./policies/registry.js";

export type { NodeScore, ValidationLosses } from "./policy-definition.js";

export interface ScoreRequest {
  reward: RewardSpec;
  start: Float32Array;
  updates: readonly ClientUpdate[];
  evaluate: ValidationLosses;
  seed: number;
  /** The round's new global model (default: the updates' FedAvg mean). */
  aggregate?: Float32Array;
}

/**
 * Coordinator-side contribution scores, by the run's policy (see reward-policy.ts for how they
 * turn into rewards). Subsets are combined by sample-weighted averaging (FedAvg), whatever the
 * run's strategy, so a score measures what the update brings and not the server's optimizer.
 */
export async function scoreContributions(req: ScoreRequest): Promise<NodeScore[]> {
  if (req.updates.length === 0) return [];
  const { policy, poolPerRound: _pool, ...params } = req.reward;
  return rewardPolicyEntry(policy).score({
    start: req.start,
    updates: req.updates,
    aggregate: req.aggregate ?? weightedMean(req.updates),
    evaluate: req.evaluate,
    params,
    seed: req.seed,
  });
}

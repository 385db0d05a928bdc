import type { AggregationResult } from "../aggregation/aggregator.js";
import type { RecordRoundPayload } from "../chain/outbox-payloads.js";
import type { ContributionRecord } from "../domain/index.js";
import type { TrainingEngine } from "../engine/port.js";
import { scoreContributions } from "../rewards/contribution-scorer.js";
import type { NodeScore } from "../rewards/contribution-scorer.js";
import { recordableLoss } from "../rewards/fixed-point.js";
import { splitRewards } from "../rewards/reward-policy.js";
import type { RunState } from "./run-state.js";
import type { AcceptedUpdate } from "./validate-updates.js";

export interface ScoredRound {
  contributions: ContributionRecord[];
  /** The same contributions as the chain records them (fixed-point losses, wei rewards). */
  onChain: RecordRoundPayload["contributions"];
  /** Why the round's scores were zeroed (a loss the ledger cannot record), when they were. */
  reason?: string;
}

/**
 * The scores' losses in the ledger's fixed point. A loss it cannot hold (not finite, negative, or
 * past uint128 at 18 decimals: a diverged model) zeroes every score of the round with the reason,
 * so the round is recorded and the run goes on.
 */
function fixedLosses(scores: readonly NodeScore[]): {
  losses: { lossBefore: bigint; lossAfter: bigint }[];
  reason?: string;
} {
  const losses: { lossBefore: bigint; lossAfter: bigint }[] = [];
  for (const sc of scores) {
    const before = recordableLoss(sc.lossBefore);
    const after = recordableLoss(sc.lossAfter);
    const bad = "reason" in before ? before : "reason" in after ? after : undefined;
    if (bad) {
      const zero = { lossBefore: 0n, lossAfter: 0n };
      return {
        losses: scores.map(() => zero),
        reason: `scores zeroed: the validation loss of ${sc.nodeId}'s score is not recordable (${bad.reason})`,
      };
    }
    losses.push({
      lossBefore: (before as { fixed: bigint }).fixed,
      lossAfter: (after as { fixed: bigint }).fixed,
    });
  }
  return { losses };
}

/**
 * Score step: the run's reward policy measures every kept update on the coordinator's validation
 * split (never on what nodes report), and the public formula splits the round's pool by those
 * measurements. Fills in each kept update's losses, score and reward.
 */
export async function scoreRound(
  run: RunState,
  round: number,
  engine: TrainingEngine,
  start: Float32Array,
  kept: readonly AcceptedUpdate[],
  aggregation: AggregationResult,
): Promise<ScoredRound> {
  const { config } = run;
  const scores = await scoreContributions({
    reward: config.reward,
    start,
    updates: kept.map(({ submission: s }) => ({
      nodeId: s.nodeId,
      weights: aggregation.scoringModel(s.nodeId),
      numSamples: s.signed.samples,
    })),
    aggregate: aggregation.model,
    evaluate: async (models) =>
      (await engine.evaluateMany(config.model, models, "validation")).map((e) => e.loss),
    seed: (config.seed + round) >>> 0,
  });
  const { losses, reason } = fixedLosses(scores);
  const fixed = losses.map((l, i) => ({ samples: kept[i]!.submission.signed.samples, ...l }));
  const rewards = splitRewards(run.policy, fixed);
  const contributions = kept.map(({ submission: s, outcome }, i): ContributionRecord => {
    const { lossBefore, lossAfter } = reason ? { lossBefore: 0, lossAfter: 0 } : scores[i]!;
    outcome.lossBefore = lossBefore;
    outcome.lossAfter = lossAfter;
    outcome.score = Math.max(0, lossBefore - lossAfter);
    outcome.reward = rewards[i]!.toString();
    if (reason) outcome.reason = reason;
    return {
      runId: run.runId,
      round,
      nodeId: s.nodeId,
      wallet: outcome.wallet,
      samples: s.signed.samples,
      lossBefore,
      lossAfter,
      score: outcome.score,
      rewardWei: outcome.reward,
      updateHash: s.signed.updateHash,
      txHash: null,
    };
  });
  const onChain = contributions.map((c, i) => ({
    node: kept[i]!.submission.wallet,
    samples: c.samples,
    lossBefore: fixed[i]!.lossBefore.toString(),
    lossAfter: fixed[i]!.lossAfter.toString(),
    updateHash: kept[i]!.submission.signed.updateHash,
    reward: c.rewardWei,
  }));
  return { contributions, onChain, ...(reason ? { reason } : {}) };
}

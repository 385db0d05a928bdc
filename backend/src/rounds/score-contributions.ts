import type { AggregationResult } from "../aggregation/aggregator.js";
import type { RecordRoundPayload } from "../chain/outbox-payloads.js";
import type { ContributionRecord } from "../domain/index.js";
import type { TrainingEngine } from "../engine/port.js";
import { scoreContributions } from "../rewards/contribution-scorer.js";
import { lossToFixed } from "../rewards/fixed-point.js";
import { splitRewards } from "../rewards/reward-policy.js";
import type { RunState } from "./run-state.js";
import type { AcceptedUpdate } from "./validate-updates.js";

export interface ScoredRound {
  contributions: ContributionRecord[];
  /** The same contributions as the chain records them (fixed-point losses, wei rewards). */
  onChain: RecordRoundPayload["contributions"];
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
  const fixed = scores.map((sc, i) => ({
    samples: kept[i]!.submission.signed.samples,
    lossBefore: lossToFixed(Math.max(0, sc.lossBefore)),
    lossAfter: lossToFixed(Math.max(0, sc.lossAfter)),
  }));
  const rewards = splitRewards(run.policy, fixed);
  const contributions = kept.map(({ submission: s, outcome }, i): ContributionRecord => {
    const { lossBefore, lossAfter } = scores[i]!;
    outcome.lossBefore = lossBefore;
    outcome.lossAfter = lossAfter;
    outcome.score = Math.max(0, lossBefore - lossAfter);
    outcome.reward = rewards[i]!.toString();
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
  return { contributions, onChain };
}

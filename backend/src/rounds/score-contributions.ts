import type { AggregationResult } from "../aggregation/aggregator.js";
import type { RecordRoundPayload } from "../chain/outbox-payloads.js";
import type { ContributionRecord } from "../domain/index.js";
import type { TrainingEngine } from "../engine/port.js";
import { scoreContributions } from "../rewards/contribution-scorer.js";
import type { NodeScore } from "../rewards/contribution-scorer.js";
import { recordableLoss } from "../rewards/fixed-point.js";
import { splitRewards, type RewardPolicy } from "../rewards/reward-policy.js";
import { contributionsRepo } from "../store/repos/contributions-repo.js";
import type { SqlDatabase } from "../store/sql-database.js";
import type { RunState } from "./run-state.js";
import type { AcceptedUpdate } from "./validate-updates.js";

export interface ScoredRound {
  contributions: ContributionRecord[];
  /** The same contributions as the chain records them (fixed-point losses, wei rewards). */
  onChain: RecordRoundPayload["contributions"];
  /** What this round carries into the run's next recorded round (the zero-score rule). */
  carryWei: bigint;
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
      (await engine.evaluateMany(run.model, models, "validation")).map((e) => e.loss),
    seed: (config.seed + round) >>> 0,
  });
  const { losses, reason } = fixedLosses(scores);
  const fixed = losses.map((l, i) => ({ samples: kept[i]!.submission.signed.samples, ...l }));
  const { rewards, carry } = splitRewards(run.policy, fixed, run.carriedPoolWei ?? 0n);
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
      // The screening's scores (null: not screened, e.g. under secure aggregation).
      anomaly: outcome.anomaly ?? null,
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
  return { contributions, onChain, carryWei: carry, ...(reason ? { reason } : {}) };
}

/**
 * What a resumed run's next round is carried (the zero-score rule): each stored round's pool
 * (poolPerRound plus the carry into it) minus what it paid, in round order, exactly as
 * splitRewards carried it and as the audit re-derives it from the chain.
 */
export async function restoreCarriedPool(
  db: SqlDatabase,
  runId: string,
  policy: Pick<RewardPolicy, "poolPerRoundWei" | "zeroScoreRule">,
): Promise<bigint> {
  if (policy.zeroScoreRule !== "carry-over") return 0n;
  const paid = new Map<number, bigint>();
  for (const c of await contributionsRepo.find(db, { run: runId, limit: 1_000_000_000 }))
    paid.set(c.round, (paid.get(c.round) ?? 0n) + BigInt(c.rewardWei));
  let carry = 0n;
  for (const round of [...paid.keys()].sort((a, b) => a - b))
    carry = policy.poolPerRoundWei + carry - paid.get(round)!;
  return carry;
}

/**
 * The coordinator's per-round evaluation work as bench:train measures it: the round's record
 * (the new model on the test and validation splits, evaluate-model.ts) and the reward policy's
 * scores (loss-improvement: the start model and each update alone on the validation split),
 * through the run engine's EvaluationCache, as a run does it. The start model is in the cache
 * already, as in every round after the first (it was the previous round's new model). With
 * `cached` false the same work goes straight to the pool, as rounds did before the cache (the
 * pool's own change, one model split across idle workers, is in both). With 1 update the new
 * model IS the update (FedAvg of one), so its validation loss is a hit: a round with 1 update
 * evaluates 2 models (the new one on both splits), a round with 10 evaluates 12.
 */
import {
  EvaluationCache,
  initialWeights,
  type ModelKind,
  type TrainingPool,
} from "../backend/src/engine/index.js";
import { weightedMean } from "../backend/src/fl/strategies/strategy.js";
import { scoreContributions } from "../backend/src/rewards/contribution-scorer.js";
import { evaluateRound } from "../backend/src/rounds/evaluate-model.js";

/** n distinct updates around `start` (small perturbations, deterministic). */
function updatesAround(start: Float32Array, n: number): Float32Array[] {
  return Array.from({ length: n }, (_, k) => {
    const w = Float32Array.from(start);
    for (let i = k; i < w.length; i += 97) w[i]! += 1e-3 * (((i * 31 + k * 17) % 13) - 6);
    return w;
  });
}

export interface RoundScoring {
  /** Wall time of the round's evaluation and scoring, seconds. */
  seconds: number;
  /** Models asked for and models the engine evaluated. */
  requested: number;
  evaluated: number;
}

/** One round's evaluation and loss-improvement scoring of n updates on `pool`. */
export async function roundScoring(
  pool: TrainingPool,
  model: ModelKind,
  n: number,
  cached = true,
): Promise<RoundScoring> {
  const start = initialWeights(model, 1);
  const updates = updatesAround(start, n).map((weights, k) => ({
    nodeId: `node-${k}`,
    weights,
    numSamples: 600,
  }));
  const next = weightedMean(updates);
  // The engine a round evaluates with: the run engine's cache (the start model in it from the
  // previous round), or the pool itself, as rounds did before the cache.
  const cache = new EvaluationCache(pool);
  if (cached) await cache.evaluate(model, start, "validation");
  const engine: Pick<EvaluationCache, "evaluateMany"> = cached ? cache : pool;
  let requested = 0;
  const evaluateMany: EvaluationCache["evaluateMany"] = (m, list, split) => {
    requested += list.length;
    return engine.evaluateMany(m, list, split);
  };
  const evaluatedBefore = cache.stats.evaluated;
  const t0 = performance.now();
  await evaluateRound({ evaluateMany }, model, start, next);
  await scoreContributions({
    reward: { policy: "loss-improvement", poolPerRound: "100" },
    start,
    updates,
    aggregate: next,
    evaluate: async (models) =>
      (await evaluateMany(model, models, "validation")).map((e) => e.loss),
    seed: 1,
  });
  return {
    seconds: (performance.now() - t0) / 1000,
    requested,
    evaluated: cached ? cache.stats.evaluated - evaluatedBefore : requested,
  };
}

import type { ClientUpdate } from "../fl/strategies/strategy.js";
import { weightedMean } from "../fl/strategies/strategy.js";
import { mulberry32 } from "./seeded-random.js";
import type { PolicyName } from "./reward-policy.js";

/** Validation losses of several models, measured by the coordinator. */
export type ValidationLosses = (models: Float32Array[]) => Promise<number[]>;

export interface NodeScore {
  nodeId: string;
  lossBefore: number;
  lossAfter: number;
}

export interface ScoreInput {
  policy: PolicyName;
  start: Float32Array;
  updates: readonly ClientUpdate[];
  evaluate: ValidationLosses;
  permutations: number;
  seed: number;
  /** aggregate-loss: the round's new global model (default: the updates' FedAvg mean). */
  aggregate?: Float32Array;
}

/**
 * Coordinator-side contribution scores (see reward-policy.ts for how they turn into rewards).
 * Subsets are combined by sample-weighted averaging (FedAvg), whatever the run's strategy, so a
 * score measures what the update brings and not the strategy's server-side optimizer.
 */
export async function scoreContributions(input: ScoreInput): Promise<NodeScore[]> {
  const { start, updates, evaluate } = input;
  if (updates.length === 0) return [];
  switch (input.policy) {
    case "loss-improvement": {
      const [base, ...alone] = await evaluate([start, ...updates.map((u) => u.weights)]);
      return updates.map((u, i) => ({ nodeId: u.nodeId, lossBefore: base!, lossAfter: alone[i]! }));
    }
    case "leave-one-out": {
      const all = weightedMean(updates);
      const without = updates.map((_, i) =>
        updates.length === 1 ? start : weightedMean(updates.filter((_, k) => k !== i)),
      );
      const [allLoss, ...withoutLoss] = await evaluate([all, ...without]);
      return updates.map((u, i) => ({
        nodeId: u.nodeId,
        lossBefore: withoutLoss[i]!,
        lossAfter: allLoss!,
      }));
    }
    case "shapley-mc":
      return shapleyMonteCarlo(input);
    case "aggregate-loss": {
      const [before, after] = await evaluate([start, input.aggregate ?? weightedMean(updates)]);
      return updates.map((u) => ({ nodeId: u.nodeId, lossBefore: before!, lossAfter: after! }));
    }
  }
}

/**
 * Permutation-sampling Shapley values of the loss drop (Ghorbani & Zou 2019; truncated as in
 * GTG-Shapley, Liu et al. 2022): walk random orders of the nodes, evaluate each growing prefix's
 * aggregate once (memoised), and average every node's marginal loss drop.
 */
async function shapleyMonteCarlo(input: ScoreInput): Promise<NodeScore[]> {
  const { start, updates, evaluate, permutations } = input;
  const n = updates.length;
  const rand = mulberry32(input.seed);
  const cache = new Map<string, number>();
  const [baseLoss] = await evaluate([start]);
  cache.set("", baseLoss!);
  const [fullLoss] = await evaluate([weightedMean(updates)]);
  const fullKey = updates.map((_, i) => i).join(",");
  cache.set(fullKey, fullLoss!);
  const phi = new Float64Array(n);
  const truncation = Math.abs(baseLoss! - fullLoss!) * 0.01;

  for (let p = 0; p < permutations; p++) {
    const order = updates.map((_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const k = Math.floor(rand() * (i + 1));
      [order[i], order[k]] = [order[k]!, order[i]!];
    }
    let prevLoss = baseLoss!;
    const prefix: number[] = [];
    for (const idx of order) {
      prefix.push(idx);
      const key = [...prefix].sort((a, b) => a - b).join(",");
      let loss = cache.get(key);
      if (loss === undefined) {
        // Truncation: once the prefix is within 1% of the full aggregate, the rest add ~nothing.
        if (Math.abs(prevLoss - fullLoss!) <= truncation) {
          loss = prevLoss;
        } else {
          [loss] = await evaluate([weightedMean(prefix.map((i) => updates[i]!))]);
          cache.set(key, loss!);
        }
      }
      phi[idx]! += prevLoss - loss!;
      prevLoss = loss!;
    }
  }
  return updates.map((u, i) => {
    const value = phi[i]! / permutations;
    return { nodeId: u.nodeId, lossBefore: baseLoss!, lossAfter: baseLoss! - value };
  });
}

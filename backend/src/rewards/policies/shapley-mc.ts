import { z } from "zod";
import { param } from "../../catalogue/entry.js";
import { weightedMean } from "../../fl/strategies/strategy.js";
import { defineRewardPolicy, type NodeScore, type ScoreInput } from "../policy-definition.js";
import { mulberry32 } from "../seeded-random.js";

/**
 * Permutation-sampling Shapley values of the loss drop (Ghorbani & Zou 2019; truncated as in
 * GTG-Shapley, Liu et al. 2022): walk random orders of the nodes, evaluate each growing prefix's
 * aggregate once (memoised), and average every node's marginal loss drop.
 */
async function shapleyMonteCarlo(
  input: ScoreInput<{ permutations: number }>,
): Promise<NodeScore[]> {
  const { start, updates, evaluate } = input;
  const permutations = input.params.permutations;
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

export const shapleyMc = defineRewardPolicy({
  id: "shapley-mc",
  label: "Shapley (Monte Carlo)",
  help: "Pays each node its Monte-Carlo Shapley value of the round's loss drop.",
  losses:
    "lossBefore = the start model; lossAfter = that loss minus the node's Monte-Carlo Shapley value.",
  params: {
    permutations: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(20)
      .meta(param("Permutations", "Random orders of the round's nodes sampled per round.")),
  },
  sampleWeighted: false,
  needsIndividualUpdates: true,
  permutations: (p) => p.permutations,
  score: shapleyMonteCarlo,
});

import { weightedMean } from "../../fl/strategies/strategy.js";
import { defineRewardPolicy } from "../policy-definition.js";

export const leaveOneOut = defineRewardPolicy({
  id: "leave-one-out",
  label: "Leave-one-out",
  help: "Pays each node by how much worse the round's aggregate is without its update.",
  losses: "lossBefore = the aggregate without this node; lossAfter = the aggregate of everyone.",
  params: {},
  sampleWeighted: false,
  needsIndividualUpdates: true,
  permutations: () => 0,
  score: async ({ start, updates, evaluate }) => {
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
  },
});

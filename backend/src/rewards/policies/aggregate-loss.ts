import { defineRewardPolicy } from "../policy-definition.js";

export const aggregateLoss = defineRewardPolicy({
  id: "aggregate-loss",
  label: "Aggregate loss (split by samples)",
  help: "Pays every aggregated node by its samples when the round's aggregate lowered the validation loss; the only policy secure aggregation allows.",
  losses:
    "lossBefore = the round's start model; lossAfter = the round's aggregate, the same for every node of the round, so the pool is split by samples (nothing when the loss rose).",
  params: {},
  sampleWeighted: true,
  needsIndividualUpdates: false,
  permutations: () => 0,
  score: async ({ start, updates, aggregate, evaluate }) => {
    const [before, after] = await evaluate([start, aggregate]);
    return updates.map((u) => ({ nodeId: u.nodeId, lossBefore: before!, lossAfter: after! }));
  },
});

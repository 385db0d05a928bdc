import { defineRewardPolicy } from "../policy-definition.js";

export const aggregateLoss = defineRewardPolicy({
  id: "aggregate-loss",
  label: "Aggregate loss (split by samples)",
  help: "Pays every aggregated node by its samples when the round's aggregate lowered the validation loss; the only policy secure aggregation allows. Cost: 2 evaluations per round. It does not rank nodes by worth (Spearman against exact within-round Shapley -0.02 to 0.55 in npm run bench:rewards (10 MNIST nodes; IID, Dirichlet 0.5/0.3/0.1, label shards, 20% Byzantine)).",
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

import { defineRewardPolicy } from "../policy-definition.js";

export const lossImprovement = defineRewardPolicy({
  id: "loss-improvement",
  label: "Loss improvement (sample-weighted)",
  help: "Pays each node by how much its own update, applied alone, lowers the validation loss.",
  losses:
    "lossBefore = the round's start model; lossAfter = the start model with only this node's update.",
  params: {},
  sampleWeighted: true,
  needsIndividualUpdates: true,
  permutations: () => 0,
  score: async ({ start, updates, evaluate }) => {
    const [base, ...alone] = await evaluate([start, ...updates.map((u) => u.weights)]);
    return updates.map((u, i) => ({ nodeId: u.nodeId, lossBefore: base!, lossAfter: alone[i]! }));
  },
});

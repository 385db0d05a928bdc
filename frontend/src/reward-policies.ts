import type { PolicyName } from "../../backend/src/rewards/reward-policy";

export interface PolicyText {
  /** The option label in the run form. */
  label: string;
  /** One line: what the policy pays for. */
  summary: string;
  /** What lossBefore_i and lossAfter_i of the public formula are under this policy. */
  losses: string;
}

/**
 * The reward policies in words, as backend/src/rewards/reward-policy.ts defines them. Every loss is
 * measured by the coordinator on its validation split, never reported by a node.
 */
export const POLICY_TEXT: Record<PolicyName, PolicyText> = {
  "loss-improvement": {
    label: "Loss improvement (sample-weighted)",
    summary:
      "Pays each node by how much its own update, applied alone, lowers the validation loss.",
    losses:
      "lossBefore = the round's start model; lossAfter = the start model with only this node's update.",
  },
  "leave-one-out": {
    label: "Leave-one-out",
    summary: "Pays each node by how much worse the round's aggregate is without its update.",
    losses: "lossBefore = the aggregate without this node; lossAfter = the aggregate of everyone.",
  },
  "shapley-mc": {
    label: "Shapley (Monte Carlo)",
    summary: "Pays each node its Monte-Carlo Shapley value of the round's loss drop.",
    losses:
      "lossBefore = the start model; lossAfter = that loss minus the node's Monte-Carlo Shapley value.",
  },
  "aggregate-loss": {
    label: "Aggregate loss (split by samples)",
    summary:
      "Pays every aggregated node by its samples when the round's aggregate lowered the validation loss; the only policy secure aggregation allows.",
    losses:
      "lossBefore = the round's start model; lossAfter = the round's aggregate, the same for every node of the round, so the pool is split by samples (nothing when the loss rose).",
  },
};

export const POLICY_NAMES = Object.keys(POLICY_TEXT) as PolicyName[];

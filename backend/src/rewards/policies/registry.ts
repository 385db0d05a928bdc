// The reward-policy catalogue: one line per policy. Adding one = a new file in this folder that
// exports `defineRewardPolicy({...})` plus its line here.
import { z } from "zod";
import { entryById, idsOf, schemasOf } from "../../catalogue/entry.js";
import type { RewardPolicyDefinition } from "../policy-definition.js";
import { aggregateLoss } from "./aggregate-loss.js";
import { leaveOneOut } from "./leave-one-out.js";
import { lossImprovement } from "./loss-improvement.js";
import { shapleyMc } from "./shapley-mc.js";

export const REWARD_POLICIES = [lossImprovement, leaveOneOut, shapleyMc, aggregateLoss] as const;

export const POLICY_IDS = idsOf(REWARD_POLICIES);
export type PolicyName = (typeof POLICY_IDS)[number];

/** A run's reward policy: `{ policy, poolPerRound, ...its params }`. */
export const RewardSpec = z.discriminatedUnion("policy", schemasOf(REWARD_POLICIES));
export type RewardSpec = z.output<typeof RewardSpec>;

export const DEFAULT_REWARD: RewardSpec = RewardSpec.parse({ policy: "loss-improvement" });

/** The policy entry of an id, typed loosely enough to call with a spec of that id. */
export function rewardPolicyEntry(id: string): RewardPolicyDefinition & {
  readonly schema: z.ZodObject;
} {
  return entryById("reward policy", REWARD_POLICIES, id) as unknown as RewardPolicyDefinition & {
    readonly schema: z.ZodObject;
  };
}

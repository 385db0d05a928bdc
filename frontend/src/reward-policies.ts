import { REWARD_POLICIES, type PolicyName } from "../../backend/src/domain/index";

export interface PolicyText {
  /** The option label in the run form. */
  label: string;
  /** One line: what the policy pays for. */
  summary: string;
  /** What lossBefore_i and lossAfter_i of the public formula are under this policy. */
  losses: string;
}

/** The reward policies in words, read from their catalogue entries (backend/src/rewards/policies). */
export const POLICY_TEXT = Object.fromEntries(
  REWARD_POLICIES.map((p) => [p.id, { label: p.label, summary: p.help, losses: p.losses }]),
) as Record<PolicyName, PolicyText>;

export const POLICY_NAMES = REWARD_POLICIES.map((p) => p.id) as PolicyName[];

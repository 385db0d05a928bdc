import { decodeAbiParameters, encodeAbiParameters, keccak256, parseUnits, toBytes } from "viem";
import { POLICY_IDS, rewardPolicyEntry, type PolicyName } from "./policies/registry.js";

export type { PolicyName } from "./policies/registry.js";

/**
 * The public reward formula. It is stored on chain per run (policy id + ABI-encoded parameters),
 * so anyone can recompute every reward of a round from its Contribution events:
 *
 *   score_i  = w_i * max(0, lossBefore_i - lossAfter_i)      (fixed point, 18 decimals)
 *   w_i      = samples_i if sampleWeighted, else 1
 *   reward_i = floor(poolPerRound * score_i / sum_j score_j)  (0 for all when the sum is 0)
 *
 * What lossBefore/lossAfter mean depends on the policy (its `losses` text in rewards/policies/;
 * all measured by the coordinator on its validation split, never reported by nodes).
 */
export interface RewardPolicy {
  name: PolicyName;
  poolPerRoundWei: bigint;
  sampleWeighted: boolean;
  validationSize: number;
  permutations: number;
  seed: number;
}

const PARAMS = [
  { name: "poolPerRoundWei", type: "uint256" },
  { name: "sampleWeighted", type: "bool" },
  { name: "validationSize", type: "uint32" },
  { name: "permutations", type: "uint32" },
  { name: "seed", type: "uint32" },
] as const;

export function policyId(name: PolicyName): `0x${string}` {
  return keccak256(toBytes(`fedledger.reward.${name}.v1`));
}

export function policyNameFromId(id: string): PolicyName | undefined {
  return POLICY_IDS.find((n) => policyId(n) === id.toLowerCase());
}

/** The on-chain form of a run's reward spec. */
export function makePolicy(
  spec: { policy: PolicyName; poolPerRound: string } & Record<string, unknown>,
  opts: { validationSize: number; seed: number },
): RewardPolicy {
  const entry = rewardPolicyEntry(spec.policy);
  return {
    name: spec.policy,
    poolPerRoundWei: parseUnits(spec.poolPerRound, 18),
    sampleWeighted: entry.sampleWeighted,
    permutations: entry.permutations(spec as never),
    ...opts,
  };
}

export function encodePolicyParams(p: RewardPolicy): `0x${string}` {
  return encodeAbiParameters(PARAMS, [
    p.poolPerRoundWei,
    p.sampleWeighted,
    p.validationSize,
    p.permutations,
    p.seed,
  ]);
}

export function decodePolicy(id: string, params: `0x${string}`): RewardPolicy {
  const name = policyNameFromId(id);
  if (!name) throw new Error(`unknown reward policy id ${id}`);
  const [poolPerRoundWei, sampleWeighted, validationSize, permutations, seed] = decodeAbiParameters(
    PARAMS,
    params,
  );
  return { name, poolPerRoundWei, sampleWeighted, validationSize, permutations, seed };
}

export interface ScoredContribution {
  samples: number;
  lossBefore: bigint;
  lossAfter: bigint;
}

/** The formula above, in integers: the coordinator and the audit share this one function. */
export function splitRewards(
  policy: Pick<RewardPolicy, "poolPerRoundWei" | "sampleWeighted">,
  items: readonly ScoredContribution[],
): bigint[] {
  const scores = items.map((c) => {
    const drop = c.lossBefore - c.lossAfter;
    const clipped = drop > 0n ? drop : 0n;
    return policy.sampleWeighted ? clipped * BigInt(c.samples) : clipped;
  });
  const total = scores.reduce((s, x) => s + x, 0n);
  if (total === 0n) return scores.map(() => 0n);
  return scores.map((s) => (policy.poolPerRoundWei * s) / total);
}

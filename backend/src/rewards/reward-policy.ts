import {
  decodeAbiParameters,
  encodeAbiParameters,
  formatUnits,
  keccak256,
  parseUnits,
  size,
  toBytes,
} from "viem";
import { POLICY_IDS, rewardPolicyEntry, type PolicyName } from "./policies/registry.js";

export type { PolicyName } from "./policies/registry.js";

/**
 * The public reward formula. It is stored on chain per run (policy id + ABI-encoded parameters),
 * so anyone can recompute every reward of a round from its Contribution events:
 *
 *   score_i  = w_i * max(0, lossBefore_i - lossAfter_i)      (fixed point, 18 decimals)
 *   w_i      = samples_i if sampleWeighted, else 1
 *   pool     = poolPerRound + carried                         (carried: see the zero-score rule)
 *   reward_i = floor(pool * score_i / sum_j score_j)          (0 for all when the sum is 0)
 *
 * Zero-score rule ("carry-over", every run registered since it exists): nothing of a recorded
 * round's pool is lost. What a round does not pay (all of it when every score is 0 or negative,
 * the floor division's dust otherwise) is carried into the pool of the run's next recorded round.
 * A round with no contribution is not recorded and has no pool; the carry passes through it.
 * Runs registered before the rule decode as "none": a round whose scores are all 0 mints nothing.
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
  /** What a round does with the pool it does not pay (see above). */
  zeroScoreRule: ZeroScoreRule;
  /** The policy's own parameters (numbers), as registered (18-decimal fixed point on chain). */
  params: Record<string, number>;
}

export type ZeroScoreRule = "none" | "carry-over";
const ZERO_SCORE_RULES: readonly ZeroScoreRule[] = ["none", "carry-over"];

/** v1: what runs registered before the zero-score rule carry (5 static words). */
const PARAMS_V1 = [
  { name: "poolPerRoundWei", type: "uint256" },
  { name: "sampleWeighted", type: "bool" },
  { name: "validationSize", type: "uint32" },
  { name: "permutations", type: "uint32" },
  { name: "seed", type: "uint32" },
] as const;

/**
 * v2 appends the zero-score rule and the policy's parameters by name; its first five words are
 * v1's, so a v1 decoder still reads a v2 registration's pool and weighting.
 */
const PARAMS_V2 = [
  ...PARAMS_V1,
  { name: "zeroScoreRule", type: "uint8" },
  {
    name: "params",
    type: "tuple[]",
    components: [
      { name: "name", type: "string" },
      { name: "value", type: "int256" },
    ],
  },
] as const;
const V1_BYTES = 32 * PARAMS_V1.length;

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
  const params: Record<string, number> = {};
  for (const key of Object.keys(entry.params)) {
    const v = spec[key];
    if (typeof v === "number") params[key] = v;
    else if (typeof v === "boolean") params[key] = v ? 1 : 0;
  }
  return {
    name: spec.policy,
    poolPerRoundWei: parseUnits(spec.poolPerRound, 18),
    sampleWeighted: entry.sampleWeighted,
    permutations: entry.permutations(spec as never),
    zeroScoreRule: "carry-over",
    params,
    ...opts,
  };
}

export function encodePolicyParams(p: RewardPolicy): `0x${string}` {
  const v1 = [
    p.poolPerRoundWei,
    p.sampleWeighted,
    p.validationSize,
    p.permutations,
    p.seed,
  ] as const;
  if (p.zeroScoreRule === "none" && Object.keys(p.params).length === 0)
    return encodeAbiParameters(PARAMS_V1, v1);
  return encodeAbiParameters(PARAMS_V2, [
    ...v1,
    ZERO_SCORE_RULES.indexOf(p.zeroScoreRule),
    Object.entries(p.params).map(([name, value]) => ({
      name,
      value: parseUnits(numberText(value), 18),
    })),
  ]);
}

/** A number as a plain decimal (parseUnits takes no exponent notation). */
function numberText(v: number): string {
  if (!Number.isFinite(v)) throw new RangeError(`policy parameter must be finite, got ${v}`);
  return v.toLocaleString("en-US", { useGrouping: false, maximumFractionDigits: 18 });
}

export function decodePolicy(id: string, params: `0x${string}`): RewardPolicy {
  const name = policyNameFromId(id);
  if (!name) throw new Error(`unknown reward policy id ${id}`);
  if (size(params) <= V1_BYTES) {
    const [poolPerRoundWei, sampleWeighted, validationSize, permutations, seed] =
      decodeAbiParameters(PARAMS_V1, params);
    const base = { name, poolPerRoundWei, sampleWeighted, validationSize, permutations, seed };
    return { ...base, zeroScoreRule: "none", params: {} };
  }
  const [poolPerRoundWei, sampleWeighted, validationSize, permutations, seed, rule, named] =
    decodeAbiParameters(PARAMS_V2, params);
  const zeroScoreRule = ZERO_SCORE_RULES[rule];
  if (!zeroScoreRule) throw new Error(`unknown zero-score rule ${rule}`);
  return {
    ...{ name, poolPerRoundWei, sampleWeighted, validationSize, permutations, seed },
    zeroScoreRule,
    params: Object.fromEntries(named.map((p) => [p.name, Number(formatUnits(p.value, 18))])),
  };
}

export interface ScoredContribution {
  samples: number;
  lossBefore: bigint;
  lossAfter: bigint;
}

/** One round's split: each contribution's reward, and what goes on to the next round's pool. */
export interface RoundSplit {
  rewards: bigint[];
  /** This round's pool: poolPerRound plus what was carried into it (0 without contributions). */
  pool: bigint;
  /** Carried into the run's next recorded round (always 0 under the "none" rule). */
  carry: bigint;
}

/**
 * The formula above, in integers: the coordinator and the audit share this one function.
 * `carriedWei` is what the run's previous recorded round carried (0 for its first).
 */
export function splitRewards(
  policy: Pick<RewardPolicy, "poolPerRoundWei" | "sampleWeighted" | "zeroScoreRule">,
  items: readonly ScoredContribution[],
  carriedWei = 0n,
): RoundSplit {
  if (items.length === 0) return { rewards: [], pool: 0n, carry: carriedWei };
  const pool = policy.poolPerRoundWei + carriedWei;
  const scores = items.map((c) => {
    const drop = c.lossBefore - c.lossAfter;
    const clipped = drop > 0n ? drop : 0n;
    return policy.sampleWeighted ? clipped * BigInt(c.samples) : clipped;
  });
  const total = scores.reduce((s, x) => s + x, 0n);
  const rewards = total === 0n ? scores.map(() => 0n) : scores.map((s) => (pool * s) / total);
  const paid = rewards.reduce((s, x) => s + x, 0n);
  return { rewards, pool, carry: policy.zeroScoreRule === "carry-over" ? pool - paid : 0n };
}

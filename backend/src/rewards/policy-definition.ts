import { z } from "zod";
import { param, variantSchema, type EntryInfo } from "../catalogue/entry.js";
import type { ClientUpdate } from "../fl/strategies/strategy.js";
import { PoolAmount } from "./token-amount.js";

/** Validation losses of several models, measured by the coordinator. */
export type ValidationLosses = (models: Float32Array[]) => Promise<number[]>;

/** What a policy measured for one node: the two losses its reward is computed from. */
export interface NodeScore {
  nodeId: string;
  lossBefore: number;
  lossAfter: number;
}

/** Everything a policy may look at to score a round (never what nodes report about themselves). */
export interface ScoreInput<P = Record<string, unknown>> {
  /** The round's start model. */
  start: Float32Array;
  /** The round's accepted updates (under secure aggregation: each is the aggregate). */
  updates: readonly ClientUpdate[];
  /** The round's new global model. */
  aggregate: Float32Array;
  evaluate: ValidationLosses;
  /** The policy's own parameters, from the run's config. */
  params: P;
  /** Seeded per run and round, for policies that sample. */
  seed: number;
}

/** Parameters every policy has: the pool it splits each round. */
export const commonRewardParams = {
  poolPerRound: PoolAmount.default("100").meta(
    param("Pool per round (FLR)", "Tokens minted and split among a round's contributors."),
  ),
};

/**
 * A reward policy's catalogue entry. Its id and parameters are registered on chain with each run,
 * so an auditor knows which formula paid it (see reward-policy.ts for the formula).
 */
export interface RewardPolicyDefinition<
  Id extends string = string,
  Shape extends z.ZodRawShape = z.ZodRawShape,
> extends EntryInfo<Id> {
  /** What lossBefore_i and lossAfter_i of the public formula mean under this policy. */
  readonly losses: string;
  readonly params: Shape;
  /** score_i is weighted by the node's samples. */
  readonly sampleWeighted: boolean;
  /** Needs each node's own update (secure aggregation allows only policies that do not). */
  readonly needsIndividualUpdates: boolean;
  /** Monte-Carlo permutations recorded on chain (0 for policies that do not sample). */
  readonly permutations: (params: z.output<z.ZodObject<Shape>>) => number;
  readonly score: (input: ScoreInput<z.output<z.ZodObject<Shape>>>) => Promise<NodeScore[]>;
}

/** Defines a reward policy: the entry plus its request schema `{ policy: id, poolPerRound, ...params }`. */
export function defineRewardPolicy<const Id extends string, Shape extends z.ZodRawShape>(
  def: RewardPolicyDefinition<Id, Shape>,
) {
  return {
    ...def,
    schema: variantSchema("policy", def, { ...commonRewardParams, ...def.params }),
  };
}

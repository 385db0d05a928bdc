import { z } from "zod";
import { Address } from "./primitives.js";
import { UpdateAnomaly } from "./round.js";

/** One node's contribution to one round, as recorded (and, once confirmed, on chain). */
export const ContributionRecord = z.object({
  runId: z.string(),
  round: z.number().int(),
  nodeId: z.string(),
  wallet: z.string(),
  samples: z.number(),
  lossBefore: z.number(),
  lossAfter: z.number(),
  score: z.number(),
  /** Reward in wei as a decimal string. */
  rewardWei: z.string(),
  updateHash: z.string(),
  txHash: z.string().nullable(),
  /** The update's anomaly screening (null: not screened, e.g. under secure aggregation). */
  anomaly: UpdateAnomaly.nullable().optional(),
});
export type ContributionRecord = z.infer<typeof ContributionRecord>;

/** A run's (or every run's) contributions in the store, summed over all of them, not one page. */
export const ContributionTotals = z.object({
  contributions: z.number().int(),
  /** Those whose round is on chain (the outbox confirmed its transaction). */
  recorded: z.number().int(),
  recordedWei: z.string(),
  /** Rewards still in the outbox. */
  pendingWei: z.string(),
});
export type ContributionTotals = z.infer<typeof ContributionTotals>;

/** A wallet's rewards, all read from the chain, in wei. */
export const RewardsSummary = z.object({
  address: z.string(),
  recordedWei: z.string(),
  claimedWei: z.string(),
  claimableWei: z.string(),
  balanceWei: z.string(),
});
export type RewardsSummary = z.infer<typeof RewardsSummary>;

export const ContributionsQuery = z.object({
  run: z.string().min(1).max(64).optional(),
  node: z.string().min(1).max(64).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
  /** true: only those whose update the anomaly screening flagged. */
  flagged: z.enum(["true", "false"]).optional(),
});

export const ContributionTotalsQuery = ContributionsQuery.pick({ run: true });

export const RewardsAddress = Address;

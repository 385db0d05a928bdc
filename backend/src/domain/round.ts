import { z } from "zod";

/** What a round did for privacy. */
export const RoundPrivacy = z.object({
  clipNorm: z.number(),
  noiseMultiplier: z.number(),
  /** Noise multiplier of the averaged delta (z x sqrt(noised deltas aggregated)). */
  aggregateNoiseMultiplier: z.number(),
  /** Fraction of nodes whose delta was within the clip norm (noised, with adaptive clipping). */
  unclippedFraction: z.number(),
  /** The run's budget after this round (see PrivacyReport). */
  epsilon: z.number().nullable(),
  coordinatorEpsilon: z.number().nullable(),
});
export type RoundPrivacy = z.infer<typeof RoundPrivacy>;

/** What happened to one chosen node's update in a round. */
export const UpdateOutcome = z.object({
  nodeId: z.string(),
  wallet: z.string(),
  accepted: z.boolean(),
  reason: z.string().optional(),
  samples: z.number(),
  /** What the node reported; informational only, never used for rewards (null: none). */
  reportedTrainLoss: z.number().nullable(),
  updateHash: z.string(),
  /** Coordinator-measured validation loss of the round's start model, and with this update alone. */
  lossBefore: z.number().optional(),
  lossAfter: z.number().optional(),
  score: z.number().optional(),
  /** Reward in wei (18 decimals) as a decimal string. */
  reward: z.string().optional(),
});
export type UpdateOutcome = z.infer<typeof UpdateOutcome>;

export const RoundStatus = z.enum(["training", "aggregated", "recorded", "failed"]);

export const RoundRecord = z.object({
  runId: z.string(),
  round: z.number().int(),
  status: RoundStatus,
  startedAt: z.number(),
  finishedAt: z.number().nullable(),
  durationMs: z.number().nullable(),
  testLoss: z.number().nullable(),
  testAccuracy: z.number().nullable(),
  validationLossBefore: z.number().nullable(),
  validationLossAfter: z.number().nullable(),
  participants: z.array(z.string()),
  updates: z.array(UpdateOutcome),
  modelHash: z.string().nullable(),
  txHash: z.string().nullable(),
  /** How the round summed updates. */
  aggregation: z.enum(["plain", "secure"]).optional(),
  privacy: RoundPrivacy.nullable().optional(),
});
export type RoundRecord = z.infer<typeof RoundRecord>;

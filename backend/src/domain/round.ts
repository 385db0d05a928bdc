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

/**
 * How an update compared with the run's history (anomaly screening, RunConfig.anomaly): its delta's
 * L2 norm and cosine to the round's mean delta, and their robust z-scores (null until the run has
 * `minHistory` earlier updates).
 */
export const UpdateAnomaly = z.object({
  norm: z.number(),
  cosine: z.number(),
  normZ: z.number().nullable(),
  cosineZ: z.number().nullable(),
  flagged: z.boolean(),
  /** Left out of the aggregate for it (anomaly.exclude). */
  excluded: z.boolean(),
});
export type UpdateAnomaly = z.infer<typeof UpdateAnomaly>;

/** What a node agent reports of its own resource use with each progress message. */
export const AgentResourceReport = z
  .object({
    /** Process CPU use since the task started (100 = one core). */
    cpuPercent: z.number().nonnegative().max(100_000),
    rssBytes: z.number().int().nonnegative(),
    /** Since the task started. */
    trainingMs: z.number().nonnegative(),
    /** Bytes of its previous upload (0: none yet). */
    uploadBytes: z.number().int().nonnegative(),
    /** Round trip of its last request to the coordinator (null: none measured yet). */
    latencyMs: z.number().nonnegative().nullable(),
  })
  .strict();
export type AgentResourceReport = z.infer<typeof AgentResourceReport>;

/**
 * What a node's training of this update cost, as its agent reported it (cpu, memory, latency:
 * null for simulated nodes, which share the coordinator's workers) and as the coordinator saw it.
 */
export const UpdateResources = z.object({
  /** From the task's start to the update's arrival at the coordinator. */
  trainingMs: z.number().nonnegative(),
  /** Bytes of the update as received. */
  uploadBytes: z.number().int().nonnegative(),
  /** The agent's process CPU use while training (100 = one core). */
  cpuPercent: z.number().nonnegative().nullable(),
  rssBytes: z.number().int().nonnegative().nullable(),
  /** The agent's last measured round trip to the coordinator. */
  latencyMs: z.number().nonnegative().nullable(),
});
export type UpdateResources = z.infer<typeof UpdateResources>;

/** What happened to one chosen node's update in a round. */
export const UpdateOutcome = z.object({
  nodeId: z.string(),
  wallet: z.string(),
  accepted: z.boolean(),
  reason: z.string().optional(),
  /**
   * Valid, but left out by the strategy's robust rule (Krum, trimmed mean...) or the anomaly
   * screening: not a failure of the node (the alert rules on failing nodes do not count it).
   */
  filteredOut: z.boolean().optional(),
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
  anomaly: UpdateAnomaly.optional(),
  resources: UpdateResources.optional(),
});
export type UpdateOutcome = z.infer<typeof UpdateOutcome>;

/**
 * The bytes a round moved between the coordinator and its nodes (RunConfig.compression): the
 * uploads as received (rejected ones too), the download served to each chosen node, and what one
 * raw float32 model takes, which the compression ratios are relative to.
 */
export const RoundTraffic = z.object({
  uploadBytes: z.number().int().nonnegative(),
  /** Uploads received (their bytes are counted above). */
  uploads: z.number().int().nonnegative(),
  downloadBytes: z.number().int().nonnegative(),
  downloads: z.number().int().nonnegative(),
  rawModelBytes: z.number().int().nonnegative(),
});
export type RoundTraffic = z.infer<typeof RoundTraffic>;

/** Raw float32 bytes over the bytes moved (1: uncompressed), or null when nothing moved. */
export function compressionRatio(
  bytes: number,
  count: number,
  rawModelBytes: number,
): number | null {
  return bytes > 0 && count > 0 ? (count * rawModelBytes) / bytes : null;
}

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
  /** Bytes moved (rounds recorded before traffic was measured have none). */
  traffic: RoundTraffic.optional(),
});
export type RoundRecord = z.infer<typeof RoundRecord>;

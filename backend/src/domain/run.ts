import { z } from "zod";
import { RunConfigFields } from "./run-config.js";

/**
 * queued: waiting for a place (the coordinator runs at most MAX_CONCURRENT_RUNS at once);
 * pending: admitted, starting; running; paused; and the finished states stopped, completed, failed.
 */
export const RunStatus = z.enum([
  "queued",
  "pending",
  "running",
  "paused",
  "stopped",
  "completed",
  "failed",
]);
export type RunStatus = z.infer<typeof RunStatus>;

export const RunAction = z.enum(["pause", "resume", "stop"]);
export type RunAction = z.infer<typeof RunAction>;

/** The privacy budget a run has spent after some rounds, from its Renyi DP accountant. */
export const PrivacyReport = z.object({
  /** Rounds accounted. */
  rounds: z.number().int(),
  delta: z.number(),
  /**
   * Against anyone who sees only the global models (a third party, the ledger's model hashes):
   * the noise of the averaged deltas, amplified by the sampling of nodes per round. null: no
   * finite bound (noise multiplier 0: nodes only clip).
   */
  epsilon: z.number().nullable(),
  /**
   * Against the coordinator, for the node that took part in the most rounds: it sees each noised
   * delta (plain aggregation) or only their sum (secure aggregation), without sampling
   * amplification; accounted as if the node took part in every round (an upper bound).
   */
  coordinatorEpsilon: z.number().nullable(),
  /** The clip norm the next round uses (changes with adaptive clipping). */
  clipNorm: z.number(),
  noiseMultiplier: z.number(),
});
export type PrivacyReport = z.infer<typeof PrivacyReport>;

/** A run as the API lists it. */
export const RunSummary = z.object({
  id: z.string(),
  name: z.string(),
  status: RunStatus,
  /** The validated request, with every default filled in. */
  config: RunConfigFields,
  completedRounds: z.number().int(),
  totalRounds: z.number().int(),
  engine: z.string().nullable(),
  error: z.string().nullable(),
  chainRunId: z.string().nullable(),
  /** While queued: 1 for the next run to start. */
  queuePosition: z.number().int().nullable(),
  createdAt: z.number(),
  updatedAt: z.number(),
  latest: z
    .object({ round: z.number().int(), testLoss: z.number(), testAccuracy: z.number() })
    .nullable(),
  /** With privacy: the budget spent so far (null without privacy or before the first round). */
  privacy: PrivacyReport.nullable(),
  /**
   * The run's chain writes not yet confirmed: pending (waiting or retrying) and failed for good
   * (a revert retrying cannot fix), with the latest error of either.
   */
  chainWrites: z.object({
    pending: z.number().int(),
    failed: z.number().int(),
    lastError: z.string().nullable(),
  }),
});
export type RunSummary = z.infer<typeof RunSummary>;

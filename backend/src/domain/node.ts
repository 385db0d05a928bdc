import { z } from "zod";
import { Address, Hex, NodeId } from "./primitives.js";

/**
 * A remote agent's latest resource report (AgentResources, sent with its progress messages) as the
 * coordinator received it, with the time it arrived and the run and round it was training for.
 */
export const NodeResourceReport = z.object({
  /** Process CPU use since its task started (100 = one core). */
  cpuPercent: z.number().nonnegative(),
  rssBytes: z.number().int().nonnegative(),
  /** How long its task had been running. */
  trainingMs: z.number().nonnegative(),
  /** Bytes of its previous upload (0: none yet). */
  uploadBytes: z.number().int().nonnegative(),
  /** Its last measured round trip to the coordinator (null: none yet). */
  latencyMs: z.number().nonnegative().nullable(),
  /** When the coordinator received it (unix ms). */
  reportedAt: z.number(),
  runId: z.string(),
  round: z.number().int(),
});
export type NodeResourceReport = z.infer<typeof NodeResourceReport>;

export const NodeSummary = z.object({
  id: z.string(),
  wallet: z.string(),
  kind: z.enum(["simulated", "remote"]),
  status: z.enum(["registered", "training", "idle", "offline", "refusing"]),
  registeredAt: z.number(),
  lastSeen: z.number().nullable(),
  registrationTx: z.string().nullable(),
  /** Why the node last refused a task (its operator's privacy floor), if it ever did. */
  refusal: z.string().nullable(),
  totals: z.object({ contributions: z.number().int(), rewardWei: z.string() }),
  /** Online remote agents that reported: their latest resource use (absent otherwise). */
  resources: NodeResourceReport.optional(),
});
export type NodeSummary = z.infer<typeof NodeSummary>;

/** A node of a run: its data (label histogram, never samples) and whether it is a planted attacker. */
export const RunNodeInfo = z.object({
  nodeId: z.string(),
  wallet: z.string(),
  samples: z.number().int(),
  histogram: z.array(z.number().int()),
  byzantine: z.boolean(),
});
export type RunNodeInfo = z.infer<typeof RunNodeInfo>;

export const RegisterNodeRequest = z
  .object({
    nodeId: NodeId,
    wallet: Address,
    /** Unix seconds after which the signature is void. */
    deadline: z.number().int().positive(),
    /** The wallet's EIP-712 signature over (nodeId, wallet, deadline). */
    signature: Hex,
  })
  .strict();
export type RegisterNodeRequest = z.infer<typeof RegisterNodeRequest>;

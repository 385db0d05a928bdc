import { z } from "zod";
import { Address, Hex, NodeId } from "./primitives.js";

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

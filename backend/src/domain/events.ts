import { z } from "zod";
import { Alert, AlertChange } from "./alert.js";
import { AgentResourceReport, RoundTraffic } from "./round.js";
import { RunStatus } from "./run.js";

/** Server-Sent Events on GET /api/runs/:id/events (event name = `type`). */
export const RunEvent = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("run-status"),
    runId: z.string(),
    status: RunStatus,
    error: z.string().optional(),
  }),
  z.object({
    type: z.literal("round-started"),
    runId: z.string(),
    round: z.number().int(),
    participants: z.array(z.string()),
  }),
  z.object({
    type: z.literal("node-progress"),
    runId: z.string(),
    round: z.number().int(),
    nodeId: z.string(),
    epoch: z.number().int(),
    batch: z.number().int(),
    batches: z.number().int(),
    loss: z.number(),
    /** Remote agents: their resource use. */
    resources: AgentResourceReport.optional(),
  }),
  z.object({
    type: z.literal("node-finished"),
    runId: z.string(),
    round: z.number().int(),
    nodeId: z.string(),
    accepted: z.boolean(),
    reason: z.string().optional(),
  }),
  z.object({
    type: z.literal("round-aggregated"),
    runId: z.string(),
    round: z.number().int(),
    testLoss: z.number(),
    testAccuracy: z.number(),
    accepted: z.number().int(),
    rejected: z.number().int(),
    modelHash: z.string(),
    durationMs: z.number(),
    /** The bytes the round moved (RunConfig.compression). */
    traffic: RoundTraffic.optional(),
  }),
  z.object({
    type: z.literal("contribution-recorded"),
    runId: z.string(),
    round: z.number().int(),
    txHash: z.string(),
    totalRewardWei: z.string(),
  }),
  z.object({
    /** Accuracy fell too far below the best: the next round starts from the best version. */
    type: z.literal("rollback"),
    runId: z.string(),
    round: z.number().int(),
    accuracy: z.number(),
    toRound: z.number().int(),
    bestAccuracy: z.number(),
  }),
  z.object({
    /** An alert about this run was raised, cleared or acknowledged. */
    type: z.literal("alert"),
    runId: z.string(),
    change: AlertChange,
    alert: Alert,
  }),
  z.object({
    type: z.literal("log"),
    runId: z.string(),
    level: z.enum(["info", "warn", "error"]),
    message: z.string(),
  }),
]);
export type RunEvent = z.infer<typeof RunEvent>;

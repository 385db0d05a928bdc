// Response bodies of the API that are not domain types (health, catalogues, the outbox, the
// artifact store's views): zod schemas the OpenAPI document is generated from.
import { z } from "zod";
import { OUTBOX_PAYLOADS, type OutboxKind } from "../chain/outbox-payloads.js";
import { Address, RunId } from "../domain/index.js";

/** The body of every error response. */
export const ErrorBody = z.object({
  error: z.object({
    /** Machine-readable, stable: e.g. "run_not_found", "invalid_request". */
    code: z.string(),
    message: z.string(),
    details: z.unknown().optional(),
  }),
});

/**
 * The coordinator's own resource use: CPU and event-loop delay over the window since the previous
 * reading (windowMs; at least a second), memory now, the process's uptime and training workers.
 */
export const CoordinatorProcess = z.object({
  /** Process CPU time over the window, worker threads included (100 = one core). */
  cpuPercent: z.number().nonnegative(),
  /** How late the event loop ran its timers over the window (perf_hooks monitorEventLoopDelay). */
  eventLoopLagMs: z.object({
    mean: z.number().nonnegative(),
    p99: z.number().nonnegative(),
    max: z.number().nonnegative(),
  }),
  windowMs: z.number().int().nonnegative(),
  rssBytes: z.number().int().nonnegative(),
  heapUsedBytes: z.number().int().nonnegative(),
  heapTotalBytes: z.number().int().nonnegative(),
  uptimeSeconds: z.number().int().nonnegative(),
  /** Training worker threads alive in this process, and how many run a job now. */
  trainingWorkers: z.object({ alive: z.number().int(), busy: z.number().int() }),
});
export type CoordinatorProcess = z.infer<typeof CoordinatorProcess>;

export const HealthReport = z.object({
  status: z.enum(["ok", "degraded"]),
  /** Why it is degraded, one sentence each (empty when ok). */
  problems: z.array(z.string()),
  uptimeSeconds: z.number(),
  /** The chain as last read (every few seconds; ageMs says how long ago). */
  chain: z.object({
    reachable: z.boolean(),
    rpcUrl: z.string(),
    chainId: z.number().optional(),
    blockNumber: z.number().optional(),
    contractsDeployed: z.boolean().optional(),
    contracts: z.object({ RewardToken: z.string(), ContributionLedger: z.string() }).optional(),
    error: z.string().optional(),
    /** The chain is no longer the deployment's: what happened and what the operator can do. */
    reset: z
      .object({ detectedAt: z.number(), reason: z.string(), choices: z.array(z.string()) })
      .optional(),
    checkedAt: z.number(),
    ageMs: z.number(),
  }),
  store: z.object({
    ok: z.boolean(),
    dialect: z.string(),
    location: z.string(),
    schemaVersion: z.number().optional(),
    error: z.string().optional(),
  }),
  /** The TensorFlow.js engine: backend, threads, SIMD, kernels. */
  engine: z.record(z.string(), z.unknown()),
  /** The chain writes waiting to be sent. */
  outbox: z.record(z.string(), z.unknown()),
  /** The artifact store's disk use: bytes and files stored now, bytes by kind. */
  artifacts: z.record(z.string(), z.unknown()),
  process: CoordinatorProcess,
});

const CatalogueItem = z.object({
  id: z.string(),
  label: z.string(),
  help: z.string(),
  params: z.array(z.record(z.string(), z.unknown())),
  facts: z.record(z.string(), z.unknown()),
});
export const Catalogues = z.record(z.string(), z.array(CatalogueItem));

export const OutboxQuery = z.object({
  status: z.enum(["pending", "confirmed", "failed"]).optional(),
  run: RunId.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/** One chain write, as the recorder tracks it. */
export const OutboxItemView = z.object({
  id: z.string(),
  seq: z.number().int(),
  lane: z.string(),
  // Every kind the recorder sends (a batched "register-nodes" was missing here once).
  kind: z.enum(Object.keys(OUTBOX_PAYLOADS) as [OutboxKind, ...OutboxKind[]]),
  runId: z.string(),
  round: z.number().int().nullable(),
  payload: z.unknown(),
  status: z.enum(["pending", "confirmed", "failed"]),
  attempts: z.number().int(),
  nextAttemptAt: z.number(),
  lastError: z.string().nullable(),
  txHash: z.string().nullable(),
  createdAt: z.number(),
});

export const ModelVersionView = z.object({
  round: z.number().int(),
  hash: z.string(),
  testAccuracy: z.number().nullable(),
  testLoss: z.number().nullable(),
  txHash: z.string().nullable(),
  bytes: z.number().int(),
  stored: z.boolean(),
  best: z.boolean(),
});

export const ArtifactRefView = z.object({
  round: z.number().int(),
  kind: z.string(),
  nodeId: z.string().nullable(),
  hash: z.string(),
  bytes: z.number().nullable(),
  stored: z.boolean(),
});

export const Domain = z.object({ chainId: z.number().int(), verifyingContract: Address });
export const Received = z.object({ received: z.literal(true) });

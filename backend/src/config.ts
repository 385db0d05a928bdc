import os from "node:os";
import path from "node:path";
import { CoordinatorEnv } from "./env-vars.js";
import type { CapacityLimits } from "./runs/run-capacity.js";
import { parseWebhookTargets, type WebhookTarget } from "./alerts/webhook-payload.js";

const repoRoot = path.resolve(import.meta.dirname, "..", "..");

// The variables, their defaults and meanings are listed once in env-vars.ts (the README's table
// and .env.example are generated from it).
const EnvSchema = CoordinatorEnv;

export type Env = CoordinatorEnv;

export interface CoordinatorConfig {
  host: string;
  port: number;
  rpcUrl: string;
  dataDir: string;
  databaseUrl: string | undefined;
  sqliteSynchronous: "normal" | "full";
  adminToken: string | undefined;
  deploymentFile: string;
  recorderPrivateKey: `0x${string}` | undefined;
  trainingWorkers: number | undefined;
  simulatedNodeMnemonic: string | undefined;
  limits: CapacityLimits;
  outboxStuckMs: number;
  /** Alert webhooks and the coordinator-wide alert conditions (ALERT_* variables). */
  alerts: {
    webhooks: WebhookTarget[];
    chainUnreachableMs: number;
    diskFreePercent: number;
    intervalMs: number;
  };
  logLevel: Env["LOG_LEVEL"];
  logFormat: Env["LOG_FORMAT"];
  repoRoot: string;
  /** Where own-data paths of run requests are resolved (FEDLEDGER_DATA_ROOT). */
  dataRoot: string;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): CoordinatorConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`Invalid environment:\n${problems.join("\n")}`);
  }
  const e = parsed.data;
  const loopback = ["127.0.0.1", "localhost", "::1", "[::1]"].includes(e.COORDINATOR_HOST);
  if (!loopback && !e.ADMIN_TOKEN) {
    throw new Error(
      `Invalid environment:\n  COORDINATOR_HOST: binding to ${e.COORDINATOR_HOST} exposes the API to the network, which needs an ADMIN_TOKEN (openssl rand -hex 24); without one, bind to 127.0.0.1.`,
    );
  }
  const rpcUrl = e.CHAIN_RPC_URL ?? `http://127.0.0.1:${e.CHAIN_PORT}`;
  return {
    host: e.COORDINATOR_HOST,
    port: e.COORDINATOR_PORT,
    rpcUrl,
    dataDir: path.resolve(e.DATA_DIR ?? path.join(repoRoot, "data")),
    dataRoot: path.resolve(e.FEDLEDGER_DATA_ROOT ?? path.join(repoRoot, "datasets")),
    databaseUrl: e.DATABASE_URL,
    sqliteSynchronous: e.SQLITE_SYNCHRONOUS,
    adminToken: e.ADMIN_TOKEN,
    deploymentFile: path.resolve(
      e.DEPLOYMENT_FILE ?? path.join(repoRoot, "chain", "deployments", "31337.json"),
    ),
    recorderPrivateKey: e.RECORDER_PRIVATE_KEY as `0x${string}` | undefined,
    trainingWorkers: e.TRAINING_WORKERS,
    simulatedNodeMnemonic: e.SIMULATED_NODE_MNEMONIC,
    outboxStuckMs: e.OUTBOX_STUCK_MS,
    alerts: {
      webhooks: webhooksOf(e.ALERT_WEBHOOK_URLS),
      chainUnreachableMs: e.ALERT_CHAIN_UNREACHABLE_MS,
      diskFreePercent: e.ALERT_DISK_FREE_PERCENT,
      intervalMs: e.ALERT_CHECK_MS,
    },
    limits: {
      maxConcurrentRuns: e.MAX_CONCURRENT_RUNS,
      maxQueuedRuns: e.MAX_QUEUED_RUNS,
      // Default: half of this machine's memory for one run.
      maxRunMemoryMB: e.MAX_RUN_MEMORY_MB ?? Math.floor(os.totalmem() / 2 / 1024 / 1024),
      maxRunCpuHours: e.MAX_RUN_CPU_HOURS,
      maxRunStorageMB: e.MAX_RUN_STORAGE_MB,
      maxPendingChainWrites: e.MAX_PENDING_CHAIN_WRITES,
    },
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    repoRoot,
  };
}

function webhooksOf(spec: string | undefined): WebhookTarget[] {
  try {
    return parseWebhookTargets(spec);
  } catch (err) {
    throw new Error(`Invalid environment:\n  ${(err as Error).message}`, { cause: err });
  }
}

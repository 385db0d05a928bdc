import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { LogFormat, LogLevel } from "./logging/logger.js";
import type { CapacityLimits } from "./runs/run-capacity.js";

const repoRoot = path.resolve(import.meta.dirname, "..", "..");

const port = z.coerce.number().int().min(1).max(65_535);

const EnvSchema = z.object({
  COORDINATOR_HOST: z.string().default("127.0.0.1"),
  COORDINATOR_PORT: port.default(8000),
  CHAIN_PORT: port.default(8545),
  CHAIN_RPC_URL: z.url().optional(),
  DATA_DIR: z.string().default(path.join(repoRoot, "data")),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "DATABASE_URL must be a postgres:// URL")
    .optional(),
  ADMIN_TOKEN: z.string().min(16, "ADMIN_TOKEN must be at least 16 characters").optional(),
  DEPLOYMENT_FILE: z.string().optional(),
  RECORDER_PRIVATE_KEY: z
    .string()
    .regex(/^0x[0-9a-fA-F]{64}$/, "RECORDER_PRIVATE_KEY must be a 0x-prefixed 32-byte hex key")
    .optional(),
  /** Off the local chain: the mnemonic whose accounts simulated nodes are paid to (account k). */
  SIMULATED_NODE_MNEMONIC: z
    .string()
    .trim()
    .refine((m) => [12, 15, 18, 21, 24].includes(m.split(/\s+/).length), {
      message: "SIMULATED_NODE_MNEMONIC must be a BIP-39 mnemonic of 12 to 24 words",
    })
    .optional(),
  TRAINING_WORKERS: z.coerce.number().int().min(1).max(64).optional(),
  /** Runs training at once; more are queued. */
  MAX_CONCURRENT_RUNS: z.coerce.number().int().min(1).max(64).default(2),
  MAX_QUEUED_RUNS: z.coerce.number().int().min(0).max(10_000).default(20),
  /** Per run: refused when its estimate is larger (see runs/run-capacity.ts). */
  MAX_RUN_MEMORY_MB: z.coerce.number().int().min(64).optional(),
  MAX_RUN_CPU_HOURS: z.coerce.number().positive().default(24),
  MAX_RUN_STORAGE_MB: z.coerce.number().int().min(1).default(10_240),
  /** New runs are refused while this many chain writes wait in the outbox. */
  MAX_PENDING_CHAIN_WRITES: z.coerce.number().int().min(1).default(2_000),
  /** A chain write failing for longer than this turns health degraded (with its reason). */
  OUTBOX_STUCK_MS: z.coerce.number().int().min(1_000).default(120_000),
  LOG_LEVEL: LogLevel.default("info"),
  /** "json": one JSON object per log line; otherwise human-readable lines. */
  LOG_FORMAT: LogFormat.default("pretty"),
});

export type Env = z.infer<typeof EnvSchema>;

export interface CoordinatorConfig {
  host: string;
  port: number;
  rpcUrl: string;
  dataDir: string;
  databaseUrl: string | undefined;
  adminToken: string | undefined;
  deploymentFile: string;
  recorderPrivateKey: `0x${string}` | undefined;
  trainingWorkers: number | undefined;
  simulatedNodeMnemonic: string | undefined;
  limits: CapacityLimits;
  outboxStuckMs: number;
  logLevel: Env["LOG_LEVEL"];
  logFormat: Env["LOG_FORMAT"];
  repoRoot: string;
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
    dataDir: path.resolve(e.DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    adminToken: e.ADMIN_TOKEN,
    deploymentFile: path.resolve(
      e.DEPLOYMENT_FILE ?? path.join(repoRoot, "chain", "deployments", "31337.json"),
    ),
    recorderPrivateKey: e.RECORDER_PRIVATE_KEY as `0x${string}` | undefined,
    trainingWorkers: e.TRAINING_WORKERS,
    simulatedNodeMnemonic: e.SIMULATED_NODE_MNEMONIC,
    outboxStuckMs: e.OUTBOX_STUCK_MS,
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

// Every environment variable FedLedger reads, once: its schema, its default and what it does. The
// coordinator parses its part (config.ts: CoordinatorEnv), and the README's configuration table
// and .env.example are generated from this list (`npm run docs:gen`; `npm run docs:check` and a
// test fail when they drift from it).
import { z } from "zod";
import { LogFormat, LogLevel } from "./logging/logger.js";

const port = z.coerce.number().int().min(1).max(65_535);

/** Who reads a variable. */
export type EnvReader =
  "coordinator" | "start" | "dashboard" | "engine" | "cli" | "agent" | "audit";

export interface EnvVarSpec<S extends z.ZodType = z.ZodType> {
  schema: S;
  /** The default as the README shows it (Markdown), or "none". */
  shown: string;
  /** The line .env.example writes (commented out): the literal default, or empty. */
  example?: string;
  meaning: string;
  readBy: readonly EnvReader[];
}

const spec = <S extends z.ZodType>(s: EnvVarSpec<S>): EnvVarSpec<S> => s;
const COORD_AUDIT: EnvReader[] = ["coordinator", "audit"];

/** The coordinator's variables (config.ts parses exactly these). */
export const COORDINATOR_VARS = {
  CHAIN_RPC_URL: spec({
    schema: z.url().optional(),
    shown: "`http://127.0.0.1:$CHAIN_PORT`",
    meaning: "chain the coordinator, the dashboard and the audit talk to",
    readBy: ["coordinator", "dashboard", "audit"],
  }),
  CHAIN_PORT: spec({
    schema: port.default(8545),
    shown: "`8545`",
    example: "8545",
    meaning: "port of the local chain `npm start` starts (and the RPC URL's default)",
    readBy: ["coordinator", "start", "dashboard", "audit"],
  }),
  DEPLOYMENT_FILE: spec({
    schema: z.string().optional(),
    shown: "`chain/deployments/31337.json`",
    meaning: "contract addresses to use",
    readBy: ["coordinator", "dashboard", "audit"],
  }),
  COORDINATOR_HOST: spec({
    schema: z.string().default("127.0.0.1"),
    shown: "`127.0.0.1`",
    example: "127.0.0.1",
    meaning: "API listen address (anything but loopback needs `ADMIN_TOKEN`)",
    readBy: ["coordinator"],
  }),
  COORDINATOR_PORT: spec({
    schema: port.default(8000),
    shown: "`8000`",
    example: "8000",
    meaning: "API port (the dashboard's proxy and `npm start` follow it)",
    readBy: ["coordinator", "start", "dashboard"],
  }),
  DATA_DIR: spec({
    schema: z.string().optional(),
    shown: "`data/`",
    meaning: "SQLite store",
    readBy: COORD_AUDIT,
  }),
  FEDLEDGER_DATA_ROOT: spec({
    schema: z.string().optional(),
    shown: "`datasets/`",
    meaning:
      "The folder a run's own data paths (`data.train`, `data.validation`, `data.test`) are resolved in; nothing outside it is read",
    readBy: ["coordinator"],
  }),
  SQLITE_SYNCHRONOUS: spec({
    schema: z.enum(["normal", "full"]).default("normal"),
    shown: "`normal`",
    example: "normal",
    meaning:
      "SQLite commits: `normal` survives a killed process but a power loss may undo the last commits; `full` also fsyncs every commit, which can stall the API for seconds while artifacts are written",
    readBy: ["coordinator"],
  }),
  DATABASE_URL: spec({
    schema: z
      .string()
      .regex(/^postgres(ql)?:\/\//, "DATABASE_URL must be a postgres:// URL")
      .optional(),
    shown: "none",
    meaning: "PostgreSQL store instead of SQLite",
    readBy: COORD_AUDIT,
  }),
  ADMIN_TOKEN: spec({
    schema: z.string().min(16, "ADMIN_TOKEN must be at least 16 characters").optional(),
    shown: "none",
    meaning: "bearer token for mutating API calls; required on any chain but 31337",
    readBy: ["coordinator"],
  }),
  RECORDER_PRIVATE_KEY: spec({
    schema: z
      .string()
      .regex(/^0x[0-9a-fA-F]{64}$/, "RECORDER_PRIVATE_KEY must be a 0x-prefixed 32-byte hex key")
      .optional(),
    shown: "Hardhat account #0 on 31337",
    meaning: "the key holding `RECORDER_ROLE`; required off the local chain",
    readBy: ["coordinator"],
  }),
  SIMULATED_NODE_MNEMONIC: spec({
    schema: z
      .string()
      .trim()
      .refine((m) => [12, 15, 18, 21, 24].includes(m.split(/\s+/).length), {
        message: "SIMULATED_NODE_MNEMONIC must be a BIP-39 mnemonic of 12 to 24 words",
      })
      .optional(),
    shown: "Hardhat's public mnemonic, local chain only",
    meaning:
      "whose accounts simulated nodes are paid to; without it, simulated runs are refused off the local chain",
    readBy: ["coordinator"],
  }),
  TRAINING_WORKERS: spec({
    schema: z.coerce.number().int().min(1).max(64).optional(),
    shown: "one per core",
    meaning: "worker threads per run",
    readBy: ["coordinator"],
  }),
  MAX_CONCURRENT_RUNS: spec({
    schema: z.coerce.number().int().min(1).max(64).default(2),
    shown: "`2`",
    example: "2",
    meaning: "runs training at once; more are queued",
    readBy: ["coordinator"],
  }),
  MAX_QUEUED_RUNS: spec({
    schema: z.coerce.number().int().min(0).max(10_000).default(20),
    shown: "`20`",
    example: "20",
    meaning: "runs waiting beyond them; a full queue answers 429",
    readBy: ["coordinator"],
  }),
  MAX_RUN_MEMORY_MB: spec({
    schema: z.coerce.number().int().min(64).optional(),
    shown: "half the machine's memory",
    meaning: "a run estimated above it is refused (422)",
    readBy: ["coordinator"],
  }),
  MAX_RUN_CPU_HOURS: spec({
    schema: z.coerce.number().positive().default(24),
    shown: "`24`",
    example: "24",
    meaning: "a run estimated above it is refused (422)",
    readBy: ["coordinator"],
  }),
  MAX_RUN_STORAGE_MB: spec({
    schema: z.coerce.number().int().min(1).default(10_240),
    shown: "`10240`",
    example: "10240",
    meaning: "a run estimated above it is refused (422)",
    readBy: ["coordinator"],
  }),
  MAX_PENDING_CHAIN_WRITES: spec({
    schema: z.coerce.number().int().min(1).default(2_000),
    shown: "`2000`",
    example: "2000",
    meaning: "new runs are refused (429) while this many chain writes wait",
    readBy: ["coordinator"],
  }),
  OUTBOX_STUCK_MS: spec({
    schema: z.coerce.number().int().min(1_000).default(120_000),
    shown: "`120000`",
    example: "120000",
    meaning: "a chain write failing this long turns health `degraded`, with its reason",
    readBy: ["coordinator"],
  }),
  ALERT_WEBHOOK_URLS: spec({
    schema: z.string().optional(),
    shown: "none",
    meaning:
      "comma-separated webhook URLs every alert change is POSTed to (JSON, retried with backoff); prefix one with `slack:` for Slack's `{text}` body",
    readBy: ["coordinator"],
  }),
  ALERT_CHAIN_UNREACHABLE_MS: spec({
    schema: z.coerce.number().int().min(0).default(15_000),
    shown: "`15000`",
    example: "15000",
    meaning: "the chain unreachable this long raises a `chain-unreachable` alert",
    readBy: ["coordinator"],
  }),
  ALERT_DISK_FREE_PERCENT: spec({
    schema: z.coerce.number().min(0).max(100).default(5),
    shown: "`5`",
    example: "5",
    meaning: "less free space on the data directory's disk raises a `disk-nearly-full` alert",
    readBy: ["coordinator"],
  }),
  ALERT_CHECK_MS: spec({
    schema: z.coerce.number().int().min(100).max(600_000).default(5_000),
    shown: "`5000`",
    example: "5000",
    meaning: "how often the coordinator-wide alert conditions (chain, disk, outbox) are checked",
    readBy: ["coordinator"],
  }),
  LOG_LEVEL: spec({
    schema: LogLevel.default("info"),
    shown: "`info`",
    example: "info",
    meaning: "`debug`, `info`, `warn` or `error`",
    readBy: ["coordinator", "agent"],
  }),
  LOG_FORMAT: spec({
    schema: LogFormat.default("pretty"),
    shown: "`pretty`",
    example: "pretty",
    meaning: "`json`: one JSON object per log line",
    readBy: ["coordinator", "agent"],
  }),
};

/** The variables read elsewhere: scripts, the dashboard, the engine, the CLI and the node agent. */
export const OTHER_VARS = {
  ENV_FILE: spec({
    schema: z.string().optional(),
    shown: "`.env`",
    meaning:
      "the env file every entry point loads first (a missing `.env` is fine, a missing `ENV_FILE` an error)",
    readBy: ["coordinator", "start", "audit", "cli", "agent"],
  }),
  FEDLEDGER_TF_BACKEND: spec({
    schema: z.enum(["auto", "tensorflow", "wasm", "cpu"]).default("auto"),
    shown: "`auto`",
    example: "auto",
    meaning: "`tensorflow` (tfjs-node when installed), `wasm`, or `cpu`",
    readBy: ["engine"],
  }),
  DASHBOARD_PORT: spec({
    schema: port.default(5173),
    shown: "`5173`",
    example: "5173",
    meaning: "the dashboard's dev server",
    readBy: ["start", "dashboard"],
  }),
  COORDINATOR_URL: spec({
    schema: z.url().optional(),
    shown: "`http://127.0.0.1:$COORDINATOR_PORT`",
    meaning: "where the dashboard's `/api` proxy sends requests",
    readBy: ["dashboard"],
  }),
  DASHBOARD_SEPOLIA_RPC_URL: spec({
    schema: z.url().optional(),
    shown: "viem's public Sepolia RPC",
    meaning:
      "the dashboard reads Sepolia through it; it is bundled into the page, so use a public endpoint or a key restricted to the dashboard's origin",
    readBy: ["dashboard"],
  }),
  CHAIN_VERBOSE: spec({
    schema: z.enum(["0", "1"]).default("0"),
    shown: "`0`",
    example: "0",
    meaning: "`1`: `npm start`'s chain log shows every RPC call, not only transactions",
    readBy: ["start"],
  }),
  FEDLEDGER_COORDINATOR: spec({
    schema: z.url().default("http://127.0.0.1:8000"),
    shown: "`http://127.0.0.1:8000`",
    example: "http://127.0.0.1:8000",
    meaning: "the coordinator `fedledger` talks to (`--coordinator` overrides it)",
    readBy: ["cli"],
  }),
  FEDLEDGER_ADMIN_TOKEN: spec({
    schema: z.string().optional(),
    shown: "none",
    meaning: "the admin token `fedledger` sends on mutating calls (or `--token-file`)",
    readBy: ["cli"],
  }),
  NODE_PRIVATE_KEY: spec({
    schema: z.string().optional(),
    shown: "none",
    meaning: "the node agent's wallet key when no `--key`, `--key-file` or `--keystore` is given",
    readBy: ["agent"],
  }),
  NODE_KEYSTORE_PASSWORD: spec({
    schema: z.string().optional(),
    shown: "none",
    meaning: "the password of the node agent's `--keystore` file",
    readBy: ["agent"],
  }),
};

export const ENV_VARS: Readonly<Record<string, EnvVarSpec>> = {
  ...COORDINATOR_VARS,
  ...OTHER_VARS,
};

type Shape<T extends Record<string, EnvVarSpec>> = { [K in keyof T]: T[K]["schema"] };

function shapeOf<T extends Record<string, EnvVarSpec>>(vars: T): Shape<T> {
  return Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, v.schema])) as Shape<T>;
}

/** The coordinator's environment, as config.ts parses it. */
export const CoordinatorEnv = z.object(shapeOf(COORDINATOR_VARS));
export type CoordinatorEnv = z.infer<typeof CoordinatorEnv>;

const escapeCell = (s: string) => s.replaceAll("|", "\\|");

/** The README's configuration table (Markdown), one row per variable. */
export function configurationTable(): string {
  const rows = Object.entries(ENV_VARS).map(
    ([name, v]) =>
      `| \`${name}\` | ${escapeCell(v.shown)} | ${v.readBy.join(", ")} | ${escapeCell(v.meaning)} |`,
  );
  return ["| variable | default | read by | meaning |", "| --- | --- | --- | --- |", ...rows].join(
    "\n",
  );
}

/** .env.example: every variable, commented out at its default (so copying it changes nothing). */
export function envExample(): string {
  const lines = [
    "# FedLedger configuration. Copy to .env (never committed) and uncomment what you change;",
    "# the coordinator, `npm start`, the scripts, the CLI and the node agent read .env from the",
    "# directory they run in (process.loadEnvFile), and variables already set in the environment",
    "# win. Generated from backend/src/env-vars.ts by `npm run docs:gen`.",
  ];
  for (const [name, v] of Object.entries(ENV_VARS)) {
    lines.push("", `# ${v.meaning.replaceAll("`", "")} (read by ${v.readBy.join(", ")}).`);
    if (v.example === undefined) lines.push(`# Default: ${v.shown.replaceAll("`", "")}.`);
    lines.push(`# ${name}=${v.example ?? ""}`);
  }
  return `${lines.join("\n")}\n`;
}

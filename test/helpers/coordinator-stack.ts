// The backend tests' real stack: a `hardhat node` with the contracts deployed by Ignition, the
// coordinator in this process with the TensorFlow.js engine on worker threads and a fast outbox,
// listening on a free loopback port; plus the waits and the audit CLI the tests share.
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import type { RoundRecord, RunSummary } from "../../backend/src/domain/index.js";
import type { OutboxWorkerOptions } from "../../backend/src/recorder/outbox-worker.js";
import type { WebhookSenderOptions } from "../../backend/src/alerts/webhook-sender.js";
import { loadConfig } from "../../backend/src/config.js";
import { createCoordinator, type Coordinator } from "../../backend/src/coordinator.js";
import { runEngineFactory, describeEngine } from "../../backend/src/runs/tfjs-run-engine.js";
import { api, listen, type TestServer } from "./http.js";
import { openApiConformance } from "./openapi-conformance.js";
import { startLocalChain, type LocalChain } from "./local-chain.js";
import { root, startAgents, tsxBin, type Child } from "./processes.js";
import { until } from "./until.js";
import { tempDir } from "./temp-dir.js";

const execFileAsync = promisify(execFile);

export interface CoordinatorStack {
  chain: LocalChain;
  coord: Coordinator;
  server: TestServer;
  /** The coordinator's environment (the audit CLI reads the same). */
  env: Record<string, string>;
}

export interface StackOptions {
  /** Prefix of the temporary data dir, e.g. "fl-run-". */
  dataDirPrefix: string;
  /** Engine worker threads (default 2). */
  workers?: number;
  /** An already running chain (default: a new one). */
  chain?: LocalChain;
  /** The RPC URL the coordinator uses (default: the chain's; a proxy in the fault tests). */
  rpcUrl?: string;
  outbox?: OutboxWorkerOptions;
  /** More coordinator environment (ALERT_* variables, ADMIN_TOKEN). */
  env?: Record<string, string>;
  /** How fast alert webhooks are retried (default: the coordinator's). */
  webhookSender?: WebhookSenderOptions;
}

export async function startCoordinatorStack(opts: StackOptions): Promise<CoordinatorStack> {
  const chain = opts.chain ?? (await startLocalChain());
  const env = {
    CHAIN_RPC_URL: opts.rpcUrl ?? chain.rpcUrl,
    DEPLOYMENT_FILE: chain.deploymentFile,
    DATA_DIR: tempDir(opts.dataDirPrefix),
    ...opts.env,
  };
  const coord = await startCoordinator(env, opts);
  const server = await listen(coord.app);
  return { chain, coord, server, env };
}

/** A coordinator on `env`'s store and chain, started (unfinished runs resume). */
export async function startCoordinator(
  env: Record<string, string>,
  opts: Pick<StackOptions, "workers" | "outbox" | "webhookSender"> = {},
): Promise<Coordinator> {
  const config = loadConfig(env);
  const coord = await createCoordinator(config, {
    engineFactory: runEngineFactory({ workers: opts.workers ?? 2, dataRoot: config.dataRoot }),
    engineInfo: describeEngine,
    outbox: opts.outbox ?? { baseDelayMs: 50, maxDelayMs: 500, idleMs: 50 },
    apiMiddleware: [openApiConformance],
    chainWatch: { intervalMs: 300 },
    ...(opts.webhookSender ? { webhookSender: opts.webhookSender } : {}),
  });
  await coord.start();
  return coord;
}

/** Waits for a run to complete (failing fast if it failed) and every paying round to be on chain. */
export async function finishedRun(
  url: string,
  id: string,
  ms?: number,
): Promise<{ run: RunSummary; rounds: RoundRecord[] }> {
  const run = await until(
    `run ${id} to complete`,
    async () => {
      const r = await api<RunSummary>(url, "GET", `/api/runs/${id}`);
      if (r.body.status === "failed") throw new Error(`run failed: ${r.body.error}`);
      return r.body.status === "completed" && r.body;
    },
    ms,
  );
  const rounds = await until(`rounds of ${id} on chain`, async () => {
    const r = await api<RoundRecord[]>(url, "GET", `/api/runs/${id}/rounds`);
    return r.body.every((x) => x.txHash !== null || x.updates.every((u) => !u.accepted)) && r.body;
  });
  return { run, rounds };
}

/** `npm run audit -- <args>` against `env`'s chain and store; its stdout (throws on a FAIL exit). */
export async function runAudit(env: Record<string, string>, args: string[]): Promise<string> {
  const { stdout } = await execFileAsync(
    tsxBin,
    [path.join(root, "scripts", "audit.ts"), ...args],
    {
      cwd: root,
      env: { ...process.env, ...env },
    },
  );
  return stdout;
}

export interface AgentStack extends CoordinatorStack {
  /** The node agents, agents[i] running as ids[i] with keys[i] on slices[i]. */
  agents: Child[];
}

/**
 * For the calling describe: a coordinator stack and node agents as separate processes, started
 * before its tests (each agent connected) and killed after them. Read the fields inside tests.
 */
export function useAgentStack(
  opts: StackOptions & {
    ids: readonly string[];
    keys: readonly string[];
    slices: readonly string[];
    /** Extra agent arguments; `{chainRpc}` and `{ledger}` become the chain's URL and ledger. */
    agentArgs?: readonly string[];
  },
): AgentStack {
  const stack = { agents: [] as Child[] } as unknown as AgentStack;
  before(async () => {
    Object.assign(stack, await startCoordinatorStack(opts));
    const ledger = stack.chain.deployment.contracts.ContributionLedger.address;
    const args = (opts.agentArgs ?? []).map((a) =>
      a.replaceAll("{chainRpc}", stack.chain.rpcUrl).replaceAll("{ledger}", ledger),
    );
    stack.agents.push(
      ...(await startAgents(stack.server.url, opts.ids, opts.keys, opts.slices, args)),
    );
  });
  after(async () => {
    await Promise.all(stack.agents.map((a) => a.kill("SIGKILL")));
    await stack.server?.close();
    await stack.coord?.close();
    await stack.chain?.stop();
  });
  return stack;
}

import os from "node:os";
import path from "node:path";
import { ArtifactStore } from "./artifacts/artifact-store.js";
import type { Express, RequestHandler, Router } from "express";
import { createPublicClient, http, type Hex, type PublicClient } from "viem";
import { createApp } from "./api/app.js";
import { requestDrain, type RequestDrain } from "./api/request-drain.js";
import { CoordinatorMetrics } from "./metrics/coordinator-metrics.js";
import { adminRoutes } from "./api/admin-routes.js";
import { healthRoutes } from "./api/health-routes.js";
import { nodeRoutes } from "./api/node-routes.js";
import { docsRoutes } from "./api/openapi.js";
import { agentRoutes } from "./api/agent-routes.js";
import { artifactRoutes } from "./api/artifact-routes.js";
import { catalogueRoutes } from "./api/catalogue-routes.js";
import { runRoutes } from "./api/run-routes.js";
import { archiveRoutes } from "./api/archive-routes.js";
import { exportRoutes } from "./api/export-routes.js";
import { presetRoutes } from "./api/preset-routes.js";
import { SseStreams } from "./api/sse-streams.js";
import { readDeployment, type Deployment } from "./chain/deployment.js";
import { ChainWatch, type ChainWatchOptions } from "./chain/chain-watch.js";
import { LedgerClient } from "./chain/ledger-client.js";
import {
  assertLiveDeployment,
  requeueOnNewDeployment,
  type RecoveryReport,
} from "./recorder/chain-recovery.js";
import { OutboxWorker, type OutboxWorkerOptions } from "./recorder/outbox-worker.js";
import type { CoordinatorConfig } from "./config.js";
import { NodeAdmission } from "./nodes/node-admission.js";
import { NodeRegistrar } from "./nodes/node-registrar.js";
import { SimulatedWallets } from "./nodes/simulated-wallets.js";
import { RemoteNodeHub } from "./nodes/remote-node-hub.js";
import { RunEvents } from "./events/run-events.js";
import { RunManager } from "./runs/run-manager.js";
import type { RunEngineFactory } from "./runs/run-engine.js";
import { outboxRepo } from "./store/repos/outbox-repo.js";
import { archiveSqliteStore, bindStore } from "./store/deployment-binding.js";
import { openDatabase, sqliteFile } from "./store/open-database.js";
import type { SqlDatabase } from "./store/sql-database.js";
import { componentLogger } from "./logging/logger.js";
import { AlertCenter } from "./alerts/alert-center.js";
import { RunAlerts } from "./alerts/run-alerts.js";
import { SystemMonitor } from "./alerts/system-monitor.js";
import { WebhookSender, type WebhookSenderOptions } from "./alerts/webhook-sender.js";
import { alertRoutes } from "./api/alert-routes.js";

const log = componentLogger("coordinator");

export const LOCAL_CHAIN_ID = 31337;
/** Hardhat's dev account #0 (a public test key): the recorder on the local chain only. */
export const HARDHAT_ACCOUNT_0_KEY: Hex =
  "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

export interface Coordinator {
  app: Express;
  db: SqlDatabase;
  runs: RunManager;
  outbox: OutboxWorker;
  /** Remote node agents connected to this coordinator. */
  hub: RemoteNodeHub;
  /** Who may take part in a round (chain bindings, announced samples). */
  admission: NodeAdmission;
  /** Model versions, updates, validation data and run specs, by hash. */
  artifacts: ArtifactStore;
  /** Live run events (what the SSE endpoint streams). */
  events: RunEvents;
  /** Alerts: raised, cleared, acknowledged; the coordinator-wide checks and webhook deliveries. */
  alerts: Alerting;
  readonly deployment: Deployment;
  /** The chain's status, read every few seconds (reachable, the deployment's, reset). */
  watch: ChainWatch;
  publicClient: PublicClient;
  /** Resumes unfinished runs and starts sending the outbox. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export interface CoordinatorDeps {
  engineFactory: RunEngineFactory;
  engineInfo: () => Promise<unknown>;
  outbox?: OutboxWorkerOptions;
  /** Extra middleware on the /api router (tests: OpenAPI conformance). */
  apiMiddleware?: RequestHandler[];
  /** How alert webhooks are retried (default: webhook-sender.ts). */
  webhookSender?: WebhookSenderOptions;
  /** How often the chain's status is read (default every 2 s). */
  chainWatch?: ChainWatchOptions;
  /**
   * false (benchmarks only: `npm run bench:registry` measures what keeping them costs): rounds
   * store no model versions or updates in the artifact store. Default true.
   */
  keepRoundArtifacts?: boolean;
}

/** Wires store, chain, runs, outbox and API together; main.ts and the tests both use it. */
export async function createCoordinator(
  config: CoordinatorConfig,
  deps: CoordinatorDeps,
): Promise<Coordinator> {
  // The deployment can change while running: a chain recovery rebinds to a new one.
  const chain = { deployment: readDeployment(config.deploymentFile) };
  const deployment = chain.deployment;
  const recorderKey = checkChainSecrets(config, deployment);

  const db = await openBoundStore(config, deployment);
  const metrics = new CoordinatorMetrics({
    db,
    nodesOnline: () => hub.online().length,
    sseClients: () => streams.open,
  });
  const { publicClient, ledger, watch } = chainClients(config, chain, recorderKey, metrics, deps);
  const domain = signingDomain(chain);
  const events = new RunEvents(db, (e) => metrics.observeEvent(e));
  const alerts = alerting(db, events, config, () => watch.status(), metrics, deps.webhookSender);
  const streams = new SseStreams(events);
  const local = deployment.chainId === LOCAL_CHAIN_ID;
  const wallets = SimulatedWallets.forChain(local, config.simulatedNodeMnemonic);
  const registrar = new NodeRegistrar(db, domain, wallets, publicClient);
  const outbox = new OutboxWorker(db, ledger, events, {
    ...deps.outbox,
    writable: () => watch.writable(),
  });
  const hub = new RemoteNodeHub();
  const admission = new NodeAdmission(db, ledger);
  const artifacts = new ArtifactStore(path.join(config.dataDir, "artifacts"));
  const runs = new RunManager({
    ...{ db, events, domain, registrar, hub, admission, wallets, artifacts },
    alerts: alerts.runs,
    engineFactory: deps.engineFactory,
    keepRoundArtifacts: deps.keepRoundArtifacts,
    limits: config.limits,
    workers: config.trainingWorkers ?? os.availableParallelism(),
    dataRoot: config.dataRoot,
  });
  const drain = requestDrain();
  const app = createApp({
    adminToken: config.adminToken,
    middleware: [...(deps.apiMiddleware ?? []), drain.middleware],
    metrics: () => metrics.render(),
    // Node registration carries the wallet's EIP-712 signature; agent calls are signed by it.
    tokenExempt: (p) => p === "/nodes" || p.startsWith("/agent/"),
    routers: apiRouters({
      config,
      deps,
      db,
      publicClient,
      deployment: () => chain.deployment,
      artifacts,
      watch,
      recover: () =>
        recoverChain({ config, publicClient, db, chain, ledger, admission, watch, outbox }),
      domain,
      events,
      registrar,
      outbox,
      hub,
      runs,
      streams,
      alerts: alerts.center,
    }),
  });

  return {
    app,
    db,
    runs,
    outbox,
    hub,
    admission,
    artifacts,
    events,
    alerts,
    get deployment() {
      return chain.deployment;
    },
    watch,
    publicClient,
    ...lifecycle({ watch, outbox, runs, hub, db, drain, alerts }),
  };
}

/** The EIP-712 domain updates are signed for: the deployment's chain and ledger (it may change). */
function signingDomain(chain: { deployment: Deployment }) {
  return () => ({
    chainId: chain.deployment.chainId,
    verifyingContract: chain.deployment.contracts.ContributionLedger.address as `0x${string}`,
  });
}

/** Reads (public client), the recorder's writes (ledger) and the chain watch; RPC timed by metrics. */
function chainClients(
  config: CoordinatorConfig,
  chain: { deployment: Deployment },
  recorderKey: Hex,
  metrics: CoordinatorMetrics,
  deps: Pick<CoordinatorDeps, "chainWatch">,
) {
  const publicClient = createPublicClient({
    transport: http(config.rpcUrl, {
      retryCount: 0,
      timeout: 10_000,
      fetchFn: metrics.timedFetch(),
    }),
  });
  const ledger = new LedgerClient({
    rpcUrl: config.rpcUrl,
    deployment: chain.deployment,
    recorderKey,
    metrics,
  });
  const watch = new ChainWatch(
    publicClient,
    config.rpcUrl,
    () => chain.deployment,
    deps.chainWatch,
  );
  return { publicClient, ledger, watch };
}

export interface Alerting {
  center: AlertCenter;
  /** The run manager's side: each round's rules, and clearing when a run ends. */
  runs: RunAlerts;
  /** The coordinator-wide conditions (chain, disk, outbox), checked every ALERT_CHECK_MS. */
  monitor: SystemMonitor;
  sender: WebhookSender;
}

function alerting(
  db: SqlDatabase,
  events: RunEvents,
  config: CoordinatorConfig,
  chain: () => ReturnType<ChainWatch["status"]>,
  metrics: CoordinatorMetrics,
  senderOptions?: WebhookSenderOptions,
): Alerting {
  const { webhooks, ...checks } = config.alerts;
  const sender = new WebhookSender(db, webhooks, senderOptions);
  const center = new AlertCenter(db, events, {
    webhooks,
    onQueued: () => sender.poke(),
    observe: (change, alert) => metrics.observeAlert(change, alert),
  });
  const monitor = new SystemMonitor(db, center, chain, { ...checks, dataDir: config.dataDir });
  return { center, runs: new RunAlerts(db, center), monitor, sender };
}

/** Starting (watch the chain, send the outbox, resume runs) and stopping, in order. */
function lifecycle(p: {
  watch: ChainWatch;
  outbox: OutboxWorker;
  runs: RunManager;
  hub: RemoteNodeHub;
  db: SqlDatabase;
  drain: RequestDrain;
  alerts: Alerting;
}): Pick<Coordinator, "start" | "close"> {
  return {
    async start() {
      p.watch.start();
      await p.watch.check();
      p.outbox.start();
      p.alerts.sender.start();
      p.alerts.monitor.start();
      const resumed = await p.runs.resumeUnfinished();
      if (resumed.length > 0)
        log.info(`resuming ${resumed.length} unfinished run(s): ${resumed.join(", ")}`);
    },
    async close() {
      // A round in flight finishes (main.ts bounds the wait); a killed one is redone on restart.
      await p.runs.close();
      p.hub.close();
      p.watch.stop();
      await p.outbox.stop();
      await p.alerts.monitor.stop();
      await p.alerts.center.settled();
      await p.alerts.sender.stop();
      // Requests in flight (a model evaluation takes seconds) finish before the store closes.
      const { unfinished } = await p.drain.drain(8_000);
      if (unfinished > 0) log.warn(`shutdown: ${unfinished} API request(s) still running`);
      await p.db.close();
    },
  };
}

/**
 * POST /api/admin/chain-recovery: the contracts were deployed again on a reset chain; bind to the
 * new deployment and queue every chain write again (recorder/chain-recovery.ts).
 */
async function recoverChain(p: {
  config: CoordinatorConfig;
  publicClient: PublicClient;
  db: SqlDatabase;
  chain: { deployment: Deployment };
  ledger: LedgerClient;
  admission: NodeAdmission;
  watch: ChainWatch;
  outbox: OutboxWorker;
}): Promise<RecoveryReport> {
  const next = readDeployment(p.config.deploymentFile);
  await assertLiveDeployment(p.publicClient, next);
  const report = await requeueOnNewDeployment(p.db, p.chain.deployment, next);
  p.chain.deployment = next;
  p.ledger.rebind(next);
  p.admission.forget();
  await p.watch.rebind();
  p.outbox.poke();
  log.warn(
    `chain recovery: bound to the deployment of ${next.deployedAt}; ${report.requeued} chain writes queued again`,
  );
  return report;
}

/**
 * Opens the store and checks it belongs to this deployment. A SQLite store from an earlier chain
 * (the local chain starts empty on every `npm start`) is archived under data/archive/ and a fresh
 * one is started; a PostgreSQL store from another deployment is an error the operator resolves.
 */
async function openBoundStore(
  config: CoordinatorConfig,
  deployment: Deployment,
): Promise<SqlDatabase> {
  const opts = {
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    sqliteSynchronous: config.sqliteSynchronous,
  };
  const db = await openDatabase(opts);
  const binding = await bindStore(db, deployment);
  if (binding.kind === "bound") return db;
  await db.close();
  if (config.databaseUrl) {
    throw new Error(
      `The PostgreSQL store at ${db.location} holds the records of another contract deployment (${binding.stored}). ` +
        `Point DATABASE_URL at a fresh database for this deployment, or redeploy onto the chain it belongs to.`,
    );
  }
  const archived = archiveSqliteStore(sqliteFile(config.dataDir), binding.stored);
  log.info(
    `the contracts were deployed afresh (a new local chain); the previous store belongs to the old deployment and was archived to ${archived}`,
  );
  const fresh = await openDatabase(opts);
  await bindStore(fresh, deployment);
  return fresh;
}

/** The secrets a non-local chain needs; the recorder's key (Hardhat's public account #0 locally). */
function checkChainSecrets(config: CoordinatorConfig, deployment: Deployment): Hex {
  const local = deployment.chainId === LOCAL_CHAIN_ID;
  if (!config.adminToken && !local) {
    throw new Error(
      `ADMIN_TOKEN is required outside the local development chain (deployment is on chain ${deployment.chainId}).`,
    );
  }
  const recorderKey = config.recorderPrivateKey ?? (local ? HARDHAT_ACCOUNT_0_KEY : undefined);
  if (!recorderKey)
    throw new Error(`RECORDER_PRIVATE_KEY is required on chain ${deployment.chainId}.`);
  return recorderKey;
}

interface ApiParts {
  config: CoordinatorConfig;
  deps: CoordinatorDeps;
  db: SqlDatabase;
  publicClient: PublicClient;
  deployment: () => Deployment;
  artifacts: ArtifactStore;
  watch: ChainWatch;
  recover: () => Promise<RecoveryReport>;
  domain: () => { chainId: number; verifyingContract: `0x${string}` };
  events: RunEvents;
  registrar: NodeRegistrar;
  outbox: OutboxWorker;
  hub: RemoteNodeHub;
  runs: RunManager;
  streams: SseStreams;
  alerts: AlertCenter;
}

/** The API's routers, mounted under /api in this order. */
function apiRouters(p: ApiParts): Router[] {
  const {
    config,
    deps,
    db,
    publicClient,
    deployment,
    artifacts,
    watch,
    recover,
    domain,
    registrar,
    outbox,
    hub,
    runs,
    streams,
  } = p;
  const startedAt = Date.now();
  return [
    healthRoutes({
      db,
      chain: () => watch.status(),
      engine: deps.engineInfo,
      artifacts: () => artifacts.usage(db),
      outbox: async () => ({
        ...(await outboxRepo.counts(db)),
        lastError: outbox.lastError ?? null,
        stuck: await outboxRepo.stuck(db, config.outboxStuckMs),
      }),
      startedAt,
    }),
    adminRoutes({ recover }),
    catalogueRoutes(),
    // Before runRoutes: its /runs/:id/:action would take /runs/:id/archive.
    archiveRoutes({ db, runs }),
    exportRoutes({ db, runs }),
    presetRoutes({ db }),
    artifactRoutes({ db, artifacts, dataRoot: config.dataRoot }),
    runRoutes({
      db,
      runs,
      streams,
      onChange: () => outbox.poke(),
    }),
    nodeRoutes({
      db,
      registrar,
      publicClient,
      deployment,
      onRegistered: () => outbox.poke(),
      hub,
    }),
    agentRoutes({ db, hub, domain }),
    alertRoutes({ db, alerts: p.alerts }),
    docsRoutes(),
  ];
}

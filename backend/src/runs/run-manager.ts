import { randomBytes } from "node:crypto";
import { keccak256, toBytes, type Hex } from "viem";
import { createAggregator } from "../aggregation/create-aggregator.js";
import {
  chainNotReady,
  conflict,
  DATASETS,
  notFound,
  type RunConfig,
  type RunNodeInfo,
  type RunStatus,
  type RunSummary,
} from "../domain/index.js";
import { createStrategy } from "../fl/strategies/registry.js";
import { SimulatedNode } from "../nodes/simulated-node.js";
import { simulatedNodesUnsafe } from "../nodes/node-registrar.js";
import { simulatedNodeId, type SimulatedWallets } from "../nodes/simulated-wallets.js";
import { mulberry32 } from "../rewards/seeded-random.js";
import {
  encodePolicyParams,
  makePolicy,
  policyId,
  type RewardPolicy,
} from "../rewards/reward-policy.js";
import { checkpointsRepo } from "../store/repos/checkpoints-repo.js";
import { outboxRepo } from "../store/repos/outbox-repo.js";
import { roundsRepo } from "../store/repos/rounds-repo.js";
import { runsRepo, type StoredRun } from "../store/repos/runs-repo.js";
import type { SqlDatabase } from "../store/sql-database.js";
import type { NodeAdmission } from "../nodes/node-admission.js";
import type { NodeRegistrar } from "../nodes/node-registrar.js";
import type { Participant } from "../nodes/participant.js";
import type { RemoteNodeHub } from "../nodes/remote-node-hub.js";
import { selectParticipants } from "./participant-selection.js";
import type { UpdateDomain } from "../nodes/update-signing.js";
import { executeRound, type RunState } from "../rounds/execute-round.js";
import { restoreCarriedPool } from "../rounds/score-contributions.js";
import { RunPrivacy, type RunPrivacyState } from "../privacy/run-privacy.js";
import type { RunEngine, RunEngineFactory } from "./run-engine.js";
import type { RunEvents } from "../events/run-events.js";
import { componentLogger } from "../logging/logger.js";

const log = componentLogger("runs");

/** How long a remote round with enough (minNodes) but not all wanted nodes waits for more. */
const REMOTE_GRACE_MS = 3_000;

/** Validation split size the coordinator scores contributions on (recorded in the policy). */
export const VALIDATION_SIZE = 1000;

export type { RunNodeInfo } from "../domain/index.js";

interface ActiveRun {
  state?: RunState;
  engine?: RunEngine;
  nodeInfo?: RunNodeInfo[];
  control: "run" | "pause" | "stop";
  loop: Promise<void>;
}

export interface RunManagerDeps {
  db: SqlDatabase;
  events: RunEvents;
  engineFactory: RunEngineFactory;
  /** The chain the run's updates are signed for (EIP-712 domain). */
  domain: () => UpdateDomain | undefined;
  registrar: NodeRegistrar;
  /** Remote node agents (runs with nodeSource "remote"). */
  hub: RemoteNodeHub;
  /** Checks every chosen node before a round (chain binding, announced samples). */
  admission: NodeAdmission;
  /** Simulated nodes' wallets; undefined refuses simulated runs (public chain, no mnemonic). */
  wallets: SimulatedWallets | undefined;
}

export function chainRunIdFor(runId: string): Hex {
  return keccak256(toBytes(runId));
}

export function policyFor(config: RunConfig): RewardPolicy {
  return makePolicy(config.reward, { validationSize: VALIDATION_SIZE, seed: config.seed });
}

/** Starts, pauses, resumes and stops runs; resumes unfinished runs after a restart. */
export class RunManager {
  private readonly active = new Map<string, ActiveRun>();
  private readonly nodeInfoCache = new Map<string, RunNodeInfo[]>();
  private closed = false;

  constructor(private readonly deps: RunManagerDeps) {}

  async create(config: RunConfig): Promise<StoredRun> {
    if (!this.deps.domain()) throw chainNotReady();
    if (config.nodeSource === "simulated" && !this.deps.wallets) throw simulatedNodesUnsafe();
    const id = `run-${randomBytes(5).toString("hex")}`;
    const chainRunId = chainRunIdFor(id);
    const name =
      config.name ??
      `${config.model} on ${config.dataset}, ${config.partition.kind}, ${config.strategy.name}`;
    const policy = policyFor(config);
    const nodes = Array.from({ length: config.numNodes }, (_, i) => i + 1);
    // Persist the run and its chain registrations before anything runs.
    await this.deps.db.transaction(async (tx) => {
      await runsRepo.insert(tx, { id, name, config, chainRunId });
      await outboxRepo.enqueue(tx, {
        id: `register-run:${id}`,
        kind: "register-run",
        runId: id,
        payload: {
          chainRunId,
          policyId: policyId(policy.name),
          policyParams: encodePolicyParams(policy),
        },
      });
      if (config.nodeSource === "simulated") {
        for (const k of nodes) await this.deps.registrar.enqueueSimulated(tx, id, k);
      }
    });
    const run = (await runsRepo.get(this.deps.db, id))!;
    this.launch(run);
    return run;
  }

  async summary(run: StoredRun): Promise<RunSummary> {
    const [latest, chainWrites] = await Promise.all([
      roundsRepo.latest(this.deps.db, run.id),
      outboxRepo.runCounts(this.deps.db, run.id),
    ]);
    return {
      ...run,
      chainWrites,
      latest:
        latest && latest.testLoss !== null && latest.testAccuracy !== null
          ? { round: latest.round, testLoss: latest.testLoss, testAccuracy: latest.testAccuracy }
          : null,
      privacy:
        run.config.privacy && latest?.privacy
          ? {
              rounds: latest.round,
              delta: run.config.privacy.delta,
              epsilon: latest.privacy.epsilon,
              coordinatorEpsilon: latest.privacy.coordinatorEpsilon,
              clipNorm: latest.privacy.clipNorm,
              noiseMultiplier: latest.privacy.noiseMultiplier,
            }
          : null,
    };
  }

  async control(id: string, action: "pause" | "resume" | "stop"): Promise<StoredRun> {
    const run = await runsRepo.get(this.deps.db, id);
    if (!run) throw notFound("run_not_found", `No run ${id}`);
    const finished: RunStatus[] = ["completed", "stopped", "failed"];
    if (finished.includes(run.status)) {
      throw conflict("run_finished", `Run ${id} is ${run.status}; it cannot ${action}.`);
    }
    const active = this.active.get(id);
    if (action === "pause") {
      if (active) active.control = "pause";
      await runsRepo.setStatus(this.deps.db, id, "paused");
      await this.deps.events.publish({ type: "run-status", runId: id, status: "paused" });
    } else if (action === "stop") {
      if (active) active.control = "stop";
      await runsRepo.setStatus(this.deps.db, id, "stopped");
      await this.deps.events.publish({ type: "run-status", runId: id, status: "stopped" });
    } else {
      if (run.status !== "paused")
        throw conflict("not_paused", `Run ${id} is ${run.status}, not paused.`);
      await runsRepo.setStatus(this.deps.db, id, "running");
      await this.deps.events.publish({ type: "run-status", runId: id, status: "running" });
      if (active) active.control = "run";
      else this.launch((await runsRepo.get(this.deps.db, id))!);
    }
    return (await runsRepo.get(this.deps.db, id))!;
  }

  /** After a restart: continue every run that was pending or running when the process died. */
  async resumeUnfinished(): Promise<string[]> {
    const runs = await runsRepo.withStatus(this.deps.db, ["pending", "running"]);
    for (const run of runs) this.launch(run);
    return runs.map((r) => r.id);
  }

  async nodeInfo(id: string): Promise<RunNodeInfo[]> {
    const run = await runsRepo.get(this.deps.db, id);
    if (!run) throw notFound("run_not_found", `No run ${id}`);
    if (run.config.nodeSource === "remote") return this.remoteNodeInfo();
    const active = this.active.get(id);
    if (active?.nodeInfo) return active.nodeInfo;
    // A finished run's nodes never change: describe them once (it needs the dataset loaded).
    const cached = this.nodeInfoCache.get(id);
    if (cached) return cached;
    const engine = await this.deps.engineFactory(run.config);
    try {
      const info = describeNodes(run.config, engine, this.wallets());
      this.nodeInfoCache.set(id, info);
      if (this.nodeInfoCache.size > 32)
        this.nodeInfoCache.delete(this.nodeInfoCache.keys().next().value!);
      return info;
    } finally {
      await engine.close();
    }
  }

  isActive(id: string): boolean {
    return this.active.has(id);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const a of this.active.values()) a.control = "stop";
    await Promise.allSettled([...this.active.values()].map((a) => a.loop));
  }

  private launch(run: StoredRun): void {
    if (this.active.has(run.id) || this.closed) return;
    const entry: ActiveRun = { control: "run", loop: Promise.resolve() };
    this.active.set(run.id, entry);
    entry.loop = this.loop(run, entry)
      .catch(async (err: unknown) => {
        const message = (err as Error).message;
        log.error(`${run.id} failed: ${message}`);
        await runsRepo.setStatus(this.deps.db, run.id, "failed", message).catch(() => undefined);
        await this.deps.events
          .publish({ type: "run-status", runId: run.id, status: "failed", error: message })
          .catch(() => undefined);
      })
      .finally(async () => {
        this.active.delete(run.id);
        await entry.engine?.close().catch(() => undefined);
      });
  }

  private async loop(run: StoredRun, entry: ActiveRun): Promise<void> {
    const { db, events } = this.deps;
    const config = run.config;
    const domain = this.deps.domain();
    if (!domain) throw new Error("no contract deployment to sign updates for");
    const engine = await this.deps.engineFactory(config);
    entry.engine = engine;
    await runsRepo.setEngine(db, run.id, engine.backendName);
    const state = await this.restoreState(run, engine, domain, () => {
      return entry.control !== "run" || this.closed;
    });
    entry.state = state;
    if (config.nodeSource === "simulated") {
      entry.nodeInfo = describeNodes(config, engine, this.wallets());
    }
    if (run.status === "pending") {
      await runsRepo.setStatus(db, run.id, "running");
      await events.publish({ type: "run-status", runId: run.id, status: "running" });
    }
    const first = (await checkpointsRepo.load(db, run.id))?.round ?? 0;
    if (first > 0) {
      await events.publish({
        type: "log",
        runId: run.id,
        level: "info",
        message: `resuming after round ${first} from its checkpoint`,
      });
    }
    for (let round = first + 1; round <= config.rounds; round++) {
      if (entry.control !== "run" || this.closed) return;
      const record = await executeRound(state, round, { db, engine, events });
      if (!record) return; // stopped while waiting for remote nodes
      log.info(
        `${run.id} round ${round}/${config.rounds}: test accuracy ${(record.testAccuracy! * 100).toFixed(2)}%, loss ${record.testLoss!.toFixed(4)}, ${record.durationMs} ms`,
      );
    }
    if (entry.control === "run" && !this.closed) {
      await runsRepo.setStatus(db, run.id, "completed");
      await events.publish({ type: "run-status", runId: run.id, status: "completed" });
    }
  }

  /**
   * A remote run's round takes max(1, round(fraction x numNodes)) of the agents online now
   * (seeded by run and round), waiting until that many are online. Undefined when the run is
   * paused or stopped meanwhile.
   */
  private async waitForRemoteNodes(
    runId: string,
    config: RunConfig,
    round: number,
    cancelled: () => boolean,
  ): Promise<Participant[] | undefined> {
    const want = Math.max(1, Math.round(config.fraction * config.numNodes));
    const min = Math.min(want, config.minNodes ?? want);
    let told = false;
    let enoughSince: number | undefined;
    for (;;) {
      if (cancelled()) return undefined;
      const online = await this.admittedOnline(runId, config);
      if (online.length >= min) enoughSince ??= Date.now();
      else enoughSince = undefined;
      if (
        online.length >= want ||
        (enoughSince !== undefined && Date.now() - enoughSince >= REMOTE_GRACE_MS)
      ) {
        const take = Math.min(want, online.length);
        const picked = selectParticipants(online.length, take / online.length, config.seed, round);
        return picked.map((i) => online[i]!);
      }
      if (!told) {
        told = true;
        await this.deps.events.publish({
          type: "log",
          runId,
          level: "info",
          message: `round ${round}: waiting for remote nodes (${online.length} online, ${min} needed); start agents with \`npm run node -- --coordinator <url> --key <key> --data <slice>\``,
        });
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** Remote agents online now that may take part in this run's rounds (see NodeAdmission). */
  private async admittedOnline(runId: string, config: RunConfig): Promise<Participant[]> {
    const online = this.deps.hub.online().map((n) => this.deps.hub.participant(n));
    const ctx = { runId, maxSamples: maxSamplesPerNode(config) };
    const refusals = await Promise.all(online.map((p) => this.deps.admission.refusal(p, ctx)));
    return online.filter((_, i) => refusals[i] === undefined);
  }

  private wallets(): SimulatedWallets {
    if (!this.deps.wallets) throw simulatedNodesUnsafe();
    return this.deps.wallets;
  }

  private simulatedAccount(k: number) {
    return this.wallets().account(k);
  }

  private remoteNodeInfo(): RunNodeInfo[] {
    return this.deps.hub.online().map((n) => ({
      nodeId: n.nodeId,
      wallet: n.wallet,
      samples: n.hello?.samples ?? 0,
      histogram: n.hello?.histogram ?? [],
      byzantine: false,
    }));
  }

  private async restoreState(
    run: StoredRun,
    engine: RunEngine,
    domain: UpdateDomain,
    cancelled: () => boolean,
  ): Promise<RunState> {
    const config = run.config;
    const strategy = createStrategy(config.strategy);
    const checkpoint = await checkpointsRepo.load(this.deps.db, run.id);
    if (checkpoint?.optimizerState) strategy.loadState(checkpoint.optimizerState);
    const remote = config.nodeSource === "remote";
    const policy = policyFor(config);
    const privacy = config.privacy
      ? RunPrivacy.start(
          config.privacy,
          Math.max(1, Math.round(config.fraction * config.numNodes)),
          checkpoint?.privacyState as RunPrivacyState | undefined,
        )
      : undefined;
    let chooseParticipants: (round: number) => Promise<Participant[] | undefined>;
    if (remote) {
      chooseParticipants = (round) => this.waitForRemoteNodes(run.id, config, round, cancelled);
    } else {
      const shards = engine.partition(config.numNodes, config.seed);
      const byzantine = byzantineSet(config);
      const nodes = shards.map(
        (indices, i) =>
          new SimulatedNode(
            simulatedNodeId(i + 1),
            this.simulatedAccount(i + 1),
            indices,
            byzantine.has(i) ? config.byzantine : undefined,
          ),
      );
      chooseParticipants = async (round) =>
        selectParticipants(nodes.length, config.fraction, config.seed, round).map((i) => nodes[i]!);
    }
    return {
      runId: run.id,
      chainRunId: (run.chainRunId ?? chainRunIdFor(run.id)) as Hex,
      config,
      chooseParticipants,
      admit: (node) =>
        this.deps.admission.refusal(node, { runId: run.id, maxSamples: maxSamplesPerNode(config) }),
      ...(remote
        ? {
            closeRound: (round: number) => this.deps.hub.closeRound(run.id, round),
            remote: {
              runId: run.id,
              dataset: config.dataset,
              model: config.model,
              parameterCount: engine.parameterCount,
            },
          }
        : {}),
      strategy,
      aggregator: createAggregator({
        config,
        strategy,
        parameterCount: engine.parameterCount,
        domain,
        privacy,
      }),
      policy,
      carriedPoolWei: await restoreCarriedPool(this.deps.db, run.id, policy),
      domain,
      parameterCount: engine.parameterCount,
      global: checkpoint?.weights ?? engine.initialWeights(config.seed),
      ...(privacy ? { privacy } : {}),
    };
  }
}

/** The most samples a node may announce: the run's cap, or the dataset's training set size. */
export function maxSamplesPerNode(config: RunConfig): number {
  return (
    config.maxSamplesPerNode ??
    DATASETS.find((d) => d.id === config.dataset)?.trainSize ??
    Number.MAX_SAFE_INTEGER
  );
}

/** Which node indices (0-based) attack: a seeded random subset of the configured fraction. */
export function byzantineSet(config: RunConfig): Set<number> {
  if (!config.byzantine || config.byzantine.fraction === 0) return new Set();
  const count = Math.round(config.byzantine.fraction * config.numNodes);
  const rand = mulberry32((config.seed ^ 0x5bd1e995) >>> 0);
  const order = Array.from({ length: config.numNodes }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const k = Math.floor(rand() * (i + 1));
    [order[i], order[k]] = [order[k]!, order[i]!];
  }
  return new Set(order.slice(0, count));
}

function describeNodes(
  config: RunConfig,
  engine: RunEngine,
  wallets: SimulatedWallets,
): RunNodeInfo[] {
  const shards = engine.partition(config.numNodes, config.seed);
  const byzantine = byzantineSet(config);
  return shards.map((indices, i) => {
    const histogram = new Array<number>(engine.numClasses).fill(0);
    for (const idx of indices) histogram[engine.trainLabels[idx]!]! += 1;
    return {
      nodeId: simulatedNodeId(i + 1),
      wallet: wallets.account(i + 1).address,
      samples: indices.length,
      histogram,
      byzantine: byzantine.has(i),
    };
  });
}

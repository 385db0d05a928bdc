// Runs' lifecycle: creation (within the coordinator's capacity), the queue, pause/resume/stop,
// each run's round loop, and resuming unfinished runs after a restart. Every status change is a
// guarded transition (domain/run-lifecycle.ts), so a stop is never undone by a loop that read the
// status before it, and stays stopped across restarts.
import { randomBytes } from "node:crypto";
import {
  ACTIONS,
  busy,
  chainNotReady,
  conflict,
  isFinished,
  LIFECYCLE,
  notFound,
  participantsPerRound,
  type RoundRecord,
  type RunAction,
  type RunConfig,
  runDatasetLabel,
  type RunNodeInfo,
  type RunStatus,
  type RunSummary,
} from "../domain/index.js";
import type { RunAlerts } from "../alerts/run-alerts.js";
import type { RunEvents } from "../events/run-events.js";
import { componentLogger } from "../logging/logger.js";
import type { NodeAdmission } from "../nodes/node-admission.js";
import type { NodeRegistrar } from "../nodes/node-registrar.js";
import { simulatedNodesUnsafe } from "../nodes/node-registrar.js";
import type { RemoteNodeHub } from "../nodes/remote-node-hub.js";
import type { SimulatedWallets } from "../nodes/simulated-wallets.js";
import type { UpdateDomain } from "../nodes/update-signing.js";
import { executeRound } from "../rounds/execute-round.js";
import { checkpointsRepo } from "../store/repos/checkpoints-repo.js";
import { outboxRepo } from "../store/repos/outbox-repo.js";
import { roundsRepo } from "../store/repos/rounds-repo.js";
import { runsRepo, type StoredRun } from "../store/repos/runs-repo.js";
import type { SqlDatabase } from "../store/sql-database.js";
import type { ArtifactStore } from "../artifacts/artifact-store.js";
import { bestOf, listVersions } from "../artifacts/model-versions.js";
import type { RunState } from "../rounds/run-state.js";
import { initialWeightsFor, publishRunSpec, resolveInitialModel } from "./run-artifacts.js";
import { DEFAULT_DATA_ROOT } from "../data-root/own-data-files.js";
import { resolveRunData } from "./run-data.js";
import { checkRunFits, estimateRun, type CapacityLimits } from "./run-capacity.js";
import type { RunEngine, RunEngineFactory } from "./run-engine.js";
import { chainRunIdFor, RunStateBuilder } from "./run-state-builder.js";

export {
  byzantineSet,
  chainRunIdFor,
  maxSamplesPerNode,
  policyFor,
  VALIDATION_SIZE,
} from "./run-state-builder.js";
export type { RunNodeInfo } from "../domain/index.js";

const log = componentLogger("runs");

interface ActiveRun {
  engine?: RunEngine;
  nodeInfo?: RunNodeInfo[];
  /** Set by pause/stop (after the store says so): the loop stops before its next round. */
  halt: boolean;
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
  limits: CapacityLimits;
  /** Where model versions, updates and the runs' spec documents are stored. */
  artifacts: ArtifactStore;
  /** false: rounds store no model versions or updates (benchmarks only; see RoundDeps). */
  keepRoundArtifacts?: boolean;
  /** Worker threads a run's engine uses (for the memory estimate). */
  workers: number;
  /** Each round's alert rules, and clearing a run's alerts when it ends. */
  alerts?: RunAlerts;
  /** Where own-data paths of run requests are resolved (default DEFAULT_DATA_ROOT). */
  dataRoot?: string;
}

export class RunManager {
  private readonly active = new Map<string, ActiveRun>();
  private readonly nodeInfoCache = new Map<string, RunNodeInfo[]>();
  private readonly states: RunStateBuilder;
  private closed = false;

  constructor(private readonly deps: RunManagerDeps) {
    this.states = new RunStateBuilder(deps);
  }

  /** Persists a new run and its chain registrations, then queues it (it starts when there is room). */
  async create(request: RunConfig): Promise<StoredRun> {
    let config = request;
    if (!this.deps.domain()) throw chainNotReady();
    if (config.nodeSource === "simulated" && !this.deps.wallets) throw simulatedNodesUnsafe();
    config = await resolveRunData(config, this.deps.dataRoot ?? DEFAULT_DATA_ROOT);
    checkRunFits(estimateRun(config, this.deps.workers), this.deps.limits);
    await this.checkBacklog();
    config = await resolveInitialModel(this.deps.db, this.deps.artifacts, config);
    const id = `run-${randomBytes(5).toString("hex")}`;
    const chainRunId = chainRunIdFor(id);
    const name =
      config.name ??
      `${config.model} on ${runDatasetLabel(config)}, ${config.partition.kind}, ${config.strategy.name}`;
    // The run's on-chain registration names its spec document, written when it starts.
    await this.deps.db.transaction(async (tx) => {
      await runsRepo.insert(tx, { id, name, config, chainRunId });
      if (config.nodeSource === "simulated") {
        await this.deps.registrar.enqueueSimulated(tx, id, config.numNodes);
      }
    });
    await this.pump();
    return (await runsRepo.get(this.deps.db, id))!;
  }

  /** Refuses new runs while the queue or the chain writes waiting are at their bounds. */
  private async checkBacklog(): Promise<void> {
    const { limits, db } = this.deps;
    const queued = (await runsRepo.queued(db)).length;
    if (queued >= limits.maxQueuedRuns) {
      throw busy(
        "queue_full",
        `${queued} runs are already queued (MAX_QUEUED_RUNS ${limits.maxQueuedRuns}); try again when one has started.`,
      );
    }
    const pending = (await outboxRepo.counts(db)).pending;
    if (pending >= limits.maxPendingChainWrites) {
      throw busy(
        "chain_backlog",
        `${pending} chain writes are waiting to be sent (MAX_PENDING_CHAIN_WRITES ${limits.maxPendingChainWrites}); new runs are refused until the outbox drains.`,
      );
    }
  }

  async summary(run: StoredRun): Promise<RunSummary> {
    const [latest, chainWrites, queued] = await Promise.all([
      roundsRepo.latest(this.deps.db, run.id),
      outboxRepo.runCounts(this.deps.db, run.id),
      run.status === "queued" ? runsRepo.queued(this.deps.db) : Promise.resolve([]),
    ]);
    const position = queued.findIndex((r) => r.id === run.id);
    return {
      ...run,
      chainWrites,
      queuePosition: position >= 0 ? position + 1 : null,
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

  /** Pause, resume or stop: recorded first (a guarded transition), then told to the run's loop. */
  async control(id: string, action: RunAction): Promise<StoredRun> {
    const run = await runsRepo.get(this.deps.db, id);
    if (!run) throw notFound("run_not_found", `No run ${id}`);
    if (isFinished(run.status)) {
      throw conflict("run_finished", `Run ${id} is ${run.status}; it cannot ${action}.`);
    }
    const { from, to } = ACTIONS[action];
    if (!(await runsRepo.transition(this.deps.db, id, from, to))) {
      const now = (await runsRepo.get(this.deps.db, id))!.status;
      throw conflict(
        action === "resume" ? "not_paused" : "run_state_changed",
        `Run ${id} is ${now}; it cannot ${action}.`,
      );
    }
    const active = this.active.get(id);
    if (active && action !== "resume") active.halt = true;
    await this.deps.events.publish({ type: "run-status", runId: id, status: to });
    // A run stopped while paused or queued has no loop to end: its alerts are cleared here.
    if (!active && isFinished(to)) await this.clearAlertsIfEnded(id);
    if (action === "resume") await this.pump();
    return (await runsRepo.get(this.deps.db, id))!;
  }

  /**
   * After a restart: runs that were running or starting go back to the front of the queue, then
   * the scheduler starts as many as fit. Paused and stopped runs stay as they are.
   */
  async resumeUnfinished(): Promise<string[]> {
    const interrupted = await runsRepo.withStatus(this.deps.db, ["pending", "running"]);
    for (const run of interrupted) {
      await runsRepo.transition(this.deps.db, run.id, ["pending", "running"], "queued");
    }
    await this.pump();
    return interrupted.map((r) => r.id);
  }

  /** Starts queued runs, oldest first, while fewer than maxConcurrentRuns run. */
  private async pump(): Promise<void> {
    if (this.closed) return;
    while (this.active.size < this.deps.limits.maxConcurrentRuns) {
      // A run resumed before its paused loop has finished its round is still active: it starts
      // when that loop ends (its finally pumps again). Admitting it now would leave it "pending"
      // for good, since launch() refuses a run that is active.
      const next = (await runsRepo.queued(this.deps.db)).find((r) => !this.active.has(r.id));
      if (!next) return;
      if (await runsRepo.transition(this.deps.db, next.id, LIFECYCLE.admit.from, "pending")) {
        this.launch(next);
      }
    }
  }

  async nodeInfo(id: string): Promise<RunNodeInfo[]> {
    const run = await runsRepo.get(this.deps.db, id);
    if (!run) throw notFound("run_not_found", `No run ${id}`);
    if (run.config.nodeSource === "remote") return this.states.remoteNodeInfo(run.config);
    const active = this.active.get(id);
    if (active?.nodeInfo) return active.nodeInfo;
    // A finished run's nodes never change: describe them once (it needs the dataset loaded).
    const cached = this.nodeInfoCache.get(id);
    if (cached) return cached;
    const engine = await this.deps.engineFactory(run.config);
    try {
      const info = this.states.describeNodes(run.config, engine);
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

  /** Runs started now. */
  get running(): number {
    return this.active.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const a of this.active.values()) a.halt = true;
    await Promise.allSettled([...this.active.values()].map((a) => a.loop));
  }

  private launch(run: StoredRun): void {
    if (this.active.has(run.id) || this.closed) return;
    const entry: ActiveRun = { halt: false, loop: Promise.resolve() };
    this.active.set(run.id, entry);
    entry.loop = this.loop(run, entry)
      .catch(async (err: unknown) => {
        const message = (err as Error).message;
        log.error(`${run.id} failed: ${message}`);
        const { db, events } = this.deps;
        if (await runsRepo.transition(db, run.id, LIFECYCLE.fail.from, "failed", message)) {
          await events
            .publish({ type: "run-status", runId: run.id, status: "failed", error: message })
            .catch(() => undefined);
        }
      })
      .finally(async () => {
        this.active.delete(run.id);
        await entry.engine?.close().catch(() => undefined);
        await this.clearAlertsIfEnded(run.id);
        await this.pump().catch((err: unknown) => log.error(`scheduler: ${String(err)}`));
      });
  }

  /** A finished run's round alerts are cleared: no round can hold their conditions any more. */
  private async clearAlertsIfEnded(id: string): Promise<void> {
    const alerts = this.deps.alerts;
    if (!alerts) return;
    const now = await runsRepo.get(this.deps.db, id).catch(() => undefined);
    if (!now || !isFinished(now.status)) return;
    await alerts.runEnded(id).catch((err: unknown) => log.warn(`${id} alerts: ${String(err)}`));
  }

  /** The run's alert rules after a round; a failing evaluation is logged, never fails the run. */
  private async roundAlerts(id: string, config: RunConfig, record: RoundRecord): Promise<void> {
    await this.deps.alerts
      ?.afterRound(id, config, record)
      .catch((err: unknown) => log.warn(`${id} round ${record.round} alerts: ${String(err)}`));
  }

  /**
   * privacy.maxEpsilon: the run ends (completed, with a warning in its log) before a round whose
   * accounting would take the model epsilon past the cap, so the released models stay within it.
   */
  private async budgetSpent(
    id: string,
    config: RunConfig,
    state: RunState,
    round: number,
  ): Promise<boolean> {
    const cap = config.privacy?.maxEpsilon;
    if (cap === undefined || !state.privacy) return false;
    const selected = participantsPerRound(config.numNodes, config.fraction);
    const next = state.privacy.projectedEpsilon(selected, config.numNodes);
    if (next !== null && next <= cap) return false;
    const spent = state.privacy.report().epsilon ?? 0;
    await this.deps.alerts
      ?.budgetStop(id, config, round, next)
      .catch((err: unknown) => log.warn(`${id} budget alert: ${String(err)}`));
    await this.deps.events.publish({
      type: "log",
      runId: id,
      level: "warn",
      message: `privacy budget: round ${round} would bring the model epsilon to ${next?.toPrecision(4) ?? "infinity"}, past maxEpsilon ${cap}; the run ends after round ${round - 1} at epsilon ${spent.toPrecision(4)}`,
    });
    return true;
  }

  /** stopAtAccuracy: the round that reaches it is the run's last (recorded on chain as usual). */
  private async targetReached(
    id: string,
    config: RunConfig,
    record: RoundRecord,
  ): Promise<boolean> {
    if (config.stopAtAccuracy === undefined || (record.testAccuracy ?? 0) < config.stopAtAccuracy) {
      return false;
    }
    await this.deps.events.publish({
      type: "log",
      runId: id,
      level: "info",
      message: `round ${record.round}: test accuracy ${(record.testAccuracy! * 100).toFixed(2)}% reached the target ${(config.stopAtAccuracy * 100).toFixed(2)}%; the run stops here`,
    });
    return true;
  }

  /**
   * rollbackDropPoints: when a round's accuracy is that many points below the best version, the
   * next round starts from the best (kept in the store; the checkpoint follows, so a restart
   * resumes from it too). The round itself stays recorded with its rewards.
   */
  private async rollbackIfWorse(
    id: string,
    config: RunConfig,
    state: RunState,
    record: RoundRecord,
    startAccuracy: number | undefined,
  ): Promise<void> {
    if (config.rollbackDropPoints === undefined || record.testAccuracy === null) return;
    const versions = await listVersions(this.deps.db, id);
    const start = versions.find((v) => v.round === 0);
    const candidates =
      start && startAccuracy !== undefined
        ? versions.map((v) => (v.round === 0 ? { ...v, testAccuracy: startAccuracy } : v))
        : versions;
    const best = bestOf(candidates, true);
    if (!best || best.round === record.round || best.testAccuracy === null) return;
    if ((best.testAccuracy - record.testAccuracy) * 100 <= config.rollbackDropPoints) return;
    const bytes = await this.deps.artifacts.read(best.hash);
    state.global = new Float32Array(bytes.slice().buffer);
    state.globalHash = best.hash;
    const saved = await checkpointsRepo.load(this.deps.db, id);
    if (saved) {
      await checkpointsRepo.save(this.deps.db, id, {
        ...saved,
        modelHash: best.hash,
        weights: saved.weights === null ? null : state.global,
      });
    }
    await this.deps.events.publish({
      type: "rollback",
      runId: id,
      round: record.round,
      accuracy: record.testAccuracy,
      toRound: best.round,
      bestAccuracy: best.testAccuracy,
    });
    await this.deps.events.publish({
      type: "log",
      runId: id,
      level: "warn",
      message: `round ${record.round}: test accuracy ${(record.testAccuracy * 100).toFixed(2)}% is more than ${config.rollbackDropPoints} points below round ${best.round}'s ${(best.testAccuracy * 100).toFixed(2)}%; round ${record.round + 1} starts from round ${best.round}'s model`,
    });
  }

  /** The run may go on only while the store says it is running and nobody asked it to halt. */
  private async mayContinue(id: string, entry: ActiveRun): Promise<boolean> {
    if (entry.halt || this.closed) return false;
    const now = await runsRepo.get(this.deps.db, id);
    return now?.status === "running";
  }

  private async loop(run: StoredRun, entry: ActiveRun): Promise<void> {
    const { db, events } = this.deps;
    const config = run.config;
    const domain = this.deps.domain();
    if (!domain) throw new Error("no contract deployment to sign updates for");
    const engine = await this.deps.engineFactory(config);
    entry.engine = engine;
    await runsRepo.setEngine(db, run.id, engine.backendName);
    const initial = await initialWeightsFor(this.deps.artifacts, config, engine);
    await publishRunSpec(db, this.deps.artifacts, run, engine, initial);
    const state = await this.states.build(
      run,
      engine,
      domain,
      initial,
      () => entry.halt || this.closed,
    );
    if (config.nodeSource === "simulated")
      entry.nodeInfo = this.states.describeNodes(config, engine);
    // Started only if nobody paused or stopped it while it was starting.
    if (!(await runsRepo.transition(db, run.id, LIFECYCLE.start.from, "running"))) return;
    await events.publish({ type: "run-status", runId: run.id, status: "running" });
    const first = (await checkpointsRepo.load(db, run.id))?.round ?? 0;
    if (first > 0) {
      await events.publish({
        type: "log",
        runId: run.id,
        level: "info",
        message: `resuming after round ${first} from its checkpoint`,
      });
    }
    // With rollback, the start model competes for "best" too (a warm start's version may be it).
    const startAccuracy =
      config.rollbackDropPoints !== undefined
        ? (await engine.evaluate(state.model, initial, "test")).accuracy
        : undefined;
    for (let round = first + 1; round <= config.rounds; round++) {
      if (!(await this.mayContinue(run.id, entry))) return;
      if (await this.budgetSpent(run.id, config, state, round)) break;
      const record = await executeRound(state, round, {
        db,
        engine,
        events,
        artifacts: this.deps.artifacts,
        keepRoundArtifacts: this.deps.keepRoundArtifacts ?? true,
      });
      if (!record) return; // paused or stopped while waiting for remote nodes
      log.info(
        `${run.id} round ${round}/${config.rounds}: test accuracy ${(record.testAccuracy! * 100).toFixed(2)}%, loss ${record.testLoss!.toFixed(4)}, ${record.durationMs} ms`,
      );
      await this.roundAlerts(run.id, config, record);
      if (await this.targetReached(run.id, config, record)) break;
      await this.rollbackIfWorse(run.id, config, state, record, startAccuracy);
    }
    if (await runsRepo.transition(db, run.id, LIFECYCLE.complete.from, "completed")) {
      await events.publish({ type: "run-status", runId: run.id, status: "completed" });
    }
  }
}

/** The statuses a run can be listed or filtered by. */
export type { RunStatus };

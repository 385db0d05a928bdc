// Builds what a running run holds between rounds (rounds/run-state.ts): its participants
// (simulated nodes with their shards, or remote agents as they come online and are admitted), its
// strategy and aggregator, its privacy accountant, and the model to start from (a checkpoint's, or
// fresh weights).
import { runCompression } from "../compression/run-compression.js";
import { keccak256, toBytes, type Hex } from "viem";
import { createAggregator } from "../aggregation/create-aggregator.js";
import {
  DATASETS,
  DEFAULT_ANOMALY,
  ownDataSpecOf,
  runModelRef,
  type RunConfig,
  type RunNodeInfo,
} from "../domain/index.js";
import type { RunEvents } from "../events/run-events.js";
import { createStrategy } from "../fl/strategies/registry.js";
import type { NodeAdmission } from "../nodes/node-admission.js";
import { simulatedNodesUnsafe } from "../nodes/node-registrar.js";
import { nodeDataMisfit } from "../nodes/node-data-fit.js";
import type { Participant } from "../nodes/participant.js";
import type { RemoteNodeHub } from "../nodes/remote-node-hub.js";
import { SimulatedNode } from "../nodes/simulated-node.js";
import { simulatedNodeId, type SimulatedWallets } from "../nodes/simulated-wallets.js";
import type { UpdateDomain } from "../nodes/update-signing.js";
import { RunPrivacy, type RunPrivacyState } from "../privacy/run-privacy.js";
import { makePolicy, type RewardPolicy } from "../rewards/reward-policy.js";
import { mulberry32 } from "../rewards/seeded-random.js";
import { restoreCarriedPool } from "../rounds/score-contributions.js";
import type { RunState } from "../rounds/run-state.js";
import { historyFromRounds, type AnomalyHistory } from "../rounds/update-anomaly.js";
import type { ArtifactStore } from "../artifacts/artifact-store.js";
import { checkpointsRepo, type Checkpoint } from "../store/repos/checkpoints-repo.js";
import { roundsRepo } from "../store/repos/rounds-repo.js";
import type { StoredRun } from "../store/repos/runs-repo.js";
import type { SqlDatabase } from "../store/sql-database.js";
import { selectParticipants } from "./participant-selection.js";
import type { RunEngine } from "./run-engine.js";

/** How long a remote round with enough (minNodes) but not all wanted nodes waits for more. */
const REMOTE_GRACE_MS = 3_000;

/** Validation split size the coordinator scores contributions on (recorded in the policy). */
export const VALIDATION_SIZE = 1000;

export function chainRunIdFor(runId: string): Hex {
  return keccak256(toBytes(runId));
}

export function policyFor(config: RunConfig): RewardPolicy {
  // The policy names the validation set's size (on chain): an own dataset's is what it resolved to.
  const validationSize =
    config.dataset === "own"
      ? (config.data?.resolved?.samples.validation ?? VALIDATION_SIZE)
      : VALIDATION_SIZE;
  return makePolicy(config.reward, { validationSize, seed: config.seed });
}

/** The most samples a node may announce: the run's cap, or the dataset's training set size. */
export function maxSamplesPerNode(config: RunConfig): number {
  return (
    config.maxSamplesPerNode ??
    (config.dataset === "own"
      ? undefined
      : DATASETS.find((d) => d.id === config.dataset)?.trainSize) ??
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

export interface RunStateDeps {
  db: SqlDatabase;
  events: RunEvents;
  hub: RemoteNodeHub;
  admission: NodeAdmission;
  wallets: SimulatedWallets | undefined;
  artifacts: ArtifactStore;
}

export class RunStateBuilder {
  constructor(private readonly deps: RunStateDeps) {}

  /**
   * `initial`: the round-1 start model (fresh weights, or a stored version the run starts from);
   * a checkpoint, when the run has one, takes precedence.
   */
  async build(
    run: StoredRun,
    engine: RunEngine,
    domain: UpdateDomain,
    initial: Float32Array,
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
    const compression = runCompression(
      config.compression,
      runModelRef(config),
      config.aggregation.mode === "secure",
    );
    return {
      runId: run.id,
      chainRunId: (run.chainRunId ?? chainRunIdFor(run.id)) as Hex,
      config,
      model: runModelRef(config),
      chooseParticipants: remote
        ? (round) => this.waitForRemoteNodes(run.id, config, round, cancelled)
        : this.simulatedChooser(config, engine),
      admit: (node) =>
        this.deps.admission.refusal(node, { runId: run.id, maxSamples: maxSamplesPerNode(config) }),
      ...(remote
        ? {
            closeRound: (round: number) => this.deps.hub.closeRound(run.id, round),
            remote: {
              runId: run.id,
              dataset: config.dataset,
              model: runModelRef(config),
              ...(config.data ? { ownData: ownDataSpecOf(config.data) } : {}),
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
      global: checkpoint ? await this.checkpointModel(run.id, checkpoint) : initial,
      anomalyHistory: await this.anomalyHistory(run.id, config),
      ...(compression ? { compression } : {}),
      ...(privacy ? { privacy } : {}),
    };
  }

  /**
   * The anomaly screening's history as the run's recorded rounds left it: their updates' scores
   * replayed in order through the same rule the rounds applied (a restart changes no flag).
   */
  private async anomalyHistory(runId: string, config: RunConfig): Promise<AnomalyHistory> {
    // A run stored before anomaly screening existed has no `anomaly` in its config: the defaults.
    const spec = (config.anomaly as RunConfig["anomaly"] | undefined) ?? DEFAULT_ANOMALY;
    const rounds = await roundsRepo.list(this.deps.db, runId);
    return historyFromRounds(
      rounds.filter((r) => r.status === "aggregated" || r.status === "recorded"),
      spec,
    );
  }

  /** The checkpoint's model: its own copy, or its version in the artifact store (hash checked). */
  private async checkpointModel(runId: string, c: Checkpoint): Promise<Float32Array> {
    if (c.weights) return c.weights;
    const bytes = await this.deps.artifacts.read(c.modelHash as Hex).catch((err: Error) => {
      throw new Error(
        `run ${runId} cannot resume from round ${c.round}: its model version ${c.modelHash} is not readable from the artifact store (${err.message})`,
      );
    });
    return new Float32Array(bytes.slice().buffer);
  }

  /** A simulated run's nodes: one shard each, a seeded sample of them per round. */
  private simulatedChooser(config: RunConfig, engine: RunEngine) {
    const wallets = this.wallets();
    const byzantine = byzantineSet(config);
    const nodes = engine
      .partition(config.numNodes, config.seed)
      .map(
        (indices, i) =>
          new SimulatedNode(
            simulatedNodeId(i + 1),
            wallets.account(i + 1),
            indices,
            byzantine.has(i) ? config.byzantine : undefined,
          ),
      );
    return async (round: number): Promise<Participant[]> =>
      selectParticipants(nodes.length, config.fraction, config.seed, round).map((i) => nodes[i]!);
  }

  /** A simulated run's nodes as the API describes them (label histograms, planted attackers). */
  describeNodes(config: RunConfig, engine: RunEngine): RunNodeInfo[] {
    const wallets = this.wallets();
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

  /**
   * The remote agents online now, as a remote run's node list. An agent with own data counts its
   * classes by name; its histogram is given in the run's class order (classes the run does not
   * have are left out: such a node refuses the run's tasks).
   */
  remoteNodeInfo(config: RunConfig): RunNodeInfo[] {
    const runClasses = config.dataset === "own" ? config.data?.resolved?.classNames : undefined;
    return this.deps.hub.online().map((n) => {
      const h = n.hello;
      const histogram =
        h?.classes && runClasses
          ? runClasses.map((c) => {
              const i = h.classes!.indexOf(c);
              return i < 0 ? 0 : h.histogram[i]!;
            })
          : (h?.histogram ?? []);
      return {
        nodeId: n.nodeId,
        wallet: n.wallet,
        samples: h?.samples ?? 0,
        histogram,
        byzantine: false,
      };
    });
  }

  /**
   * A remote run's round takes max(1, round(fraction x numNodes)) of the admitted agents online now
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

  /**
   * Remote agents online now that may take part in this run's rounds (see NodeAdmission) and whose
   * data fits it (node-data-fit.ts; each node left out for its data is told in the run's log once).
   */
  private async admittedOnline(runId: string, config: RunConfig): Promise<Participant[]> {
    const online = this.deps.hub.online().map((n) => this.deps.hub.participant(n));
    const ctx = { runId, maxSamples: maxSamplesPerNode(config) };
    const refusals = await Promise.all(
      online.map(
        async (p) => nodeDataMisfit(config, p.data) ?? (await this.deps.admission.refusal(p, ctx)),
      ),
    );
    for (const [i, p] of online.entries()) {
      const why = refusals[i];
      const key = `${runId}/${p.id}/${why}`;
      if (why && p.data && nodeDataMisfit(config, p.data) && !this.dataMisfitsTold.has(key)) {
        this.dataMisfitsTold.add(key);
        await this.deps.events.publish({
          type: "log",
          runId,
          level: "warn",
          message: `node ${p.id} is left out: ${why}`,
        });
      }
    }
    return online.filter((_, i) => refusals[i] === undefined);
  }

  /** Data misfits already told in a run's log (run/node/reason). */
  private readonly dataMisfitsTold = new Set<string>();

  private wallets(): SimulatedWallets {
    if (!this.deps.wallets) throw simulatedNodesUnsafe();
    return this.deps.wallets;
  }
}

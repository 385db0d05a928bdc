import { privatizeUpdate } from "../privacy/private-update.js";
import type { LocalAccount } from "viem";
import {
  TrainingPool,
  engineInfo,
  labelHistogram,
  loadDataset,
  modelLabel,
  type DatasetSpec,
  type EngineInfo,
} from "../engine/index.js";
import { countCsvLabels } from "../engine/datasets/csv-labels.js";
import { DataSourceError } from "../engine/datasets/data-source-error.js";
import { loadOwnDataset } from "../engine/datasets/own-data.js";
import { scanImageFolder } from "../engine/datasets/image-folder.js";
import {
  AGENT_HEADERS,
  AgentTask,
  encodeUpdateHeader,
  hashMaskedInput,
  secureInputWeight,
  secureSessionId,
  weightsToBytes,
  type AgentHello,
  type AgentSecureCommitment,
  type AgentUpdateHeader,
  type SecAggPoll,
} from "../nodes/agent-protocol.js";
import { modelDelta } from "../privacy/index.js";
import {
  KeyRosterMessageSchema,
  SecAggClient,
  SecAggError,
  ShareDeliveryMessageSchema,
  UnmaskRequestMessageSchema,
} from "../secagg/index.js";
import { signRegistration } from "../nodes/node-registration.js";
import {
  ledgerWalletLookup,
  signAdvertisedKeys,
  verifyRosterSignatures,
  type RegisteredWalletLookup,
} from "../nodes/secagg-key-signatures.js";
import { hashWeights, signUpdate } from "../nodes/update-signing.js";
import type { AgentData } from "./agent-data.js";
import { floorViolation, type PrivacyFloor } from "./privacy-floor.js";
import {
  CoordinatorClient,
  CoordinatorError,
  CoordinatorUnreachable,
} from "./coordinator-client.js";
import { componentLogger } from "../logging/logger.js";
import { TaskMeter } from "./resource-meter.js";
import { AgentCompression, CompressionRefusal } from "./agent-compression.js";

export interface NodeAgentOptions {
  coordinator: string;
  account: LocalAccount;
  nodeId: string;
  data: AgentData;
  /** Worker threads for local training (default 1). */
  workers?: number;
  /**
   * A JSON-RPC URL of the chain the ledger is on. With it, in secure rounds the agent checks every
   * peer's keys against the wallet registered on chain for that node before sharing anything;
   * without it, it trusts the coordinator to relay the peers' keys honestly.
   */
  chainRpc?: string;
  /** The ContributionLedger to read registrations from (default: the one the coordinator names). */
  ledger?: `0x${string}`;
  /** What every task must offer this node's data (see privacy-floor.ts). */
  floor?: PrivacyFloor;
  log?: (line: string) => void;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });

/**
 * A remote FedLedger node: registers its wallet with the coordinator, says what data it holds
 * (sizes and label counts only), then polls for round tasks, trains on its own data with the same
 * engine as the coordinator's workers, signs the hash of its update (EIP-712) and sends it back.
 * It survives coordinator restarts: it retries with backoff and re-registers or re-announces
 * itself when the coordinator has forgotten it.
 */
export class NodeAgent {
  private readonly client: CoordinatorClient;
  private readonly log: (line: string) => void;
  private pool: TrainingPool | undefined;
  private indices: Int32Array = new Int32Array(0);
  private hello: AgentHello | undefined;
  private engine: EngineInfo | undefined;
  /** Bytes of this node's previous upload (update or masked input); 0 before the first. */
  private lastUploadBytes = 0;
  /** A compressing run's codec and this agent's top-k residuals. */
  private readonly compression = new AgentCompression();

  constructor(private readonly opts: NodeAgentOptions) {
    this.client = new CoordinatorClient(opts.coordinator, opts.account, opts.nodeId);
    const log = componentLogger(`agent ${opts.nodeId}`);
    this.log = opts.log ?? ((l) => log.info(l));
  }

  /** The own-data spec the pool's workers hold (JSON), when the node has own data. */
  private ownSpecKey: string | undefined;

  /** Own data: class counts only (no decoding); the workers start with a run's spec. */
  private async prepareOwn(): Promise<AgentHello> {
    const { data } = this.opts;
    const own = data.own!;
    let classes: string[];
    let counts: number[];
    let columns: string[] | undefined;
    if (own.format === "image-folder") {
      ({ classNames: classes, counts } = await scanImageFolder(own.path));
    } else {
      const table = await countCsvLabels(own.path, own.label ?? "label");
      const m = table.counts;
      columns = table.columns;
      classes = [...m.keys()].sort();
      counts = classes.map((c) => m.get(c)!);
    }
    const samples = counts.reduce((a, b) => a + b, 0);
    this.indices = Int32Array.from({ length: samples }, (_, i) => i);
    this.engine = await engineInfo();
    this.hello = {
      data: data.label,
      samples,
      histogram: counts,
      classes,
      ...(columns ? { columns } : {}),
      backend: this.engine.backend,
    };
    this.log(
      `data ${data.label}: ${samples} samples of ${classes.length} classes; engine ${this.engine.backend}; wallet ${this.opts.account.address}`,
    );
    return this.hello;
  }

  /**
   * Why this node's data cannot serve `task` (undefined: it can). Own data is loaded with the
   * run's spec (once per spec; the workers restart with it), so a folder or table that does not
   * fit the run (other classes, columns, image size) is refused with what differs.
   */
  private async dataMisfit(task: AgentTask): Promise<string | undefined> {
    const own = this.opts.data.own;
    if (!own)
      return task.data
        ? `this node holds ${this.opts.data.label}; the run trains on its own data "${task.data.name}"`
        : undefined;
    if (!task.data)
      return `this node holds its own data (${this.opts.data.label}); the run trains on ${task.dataset}`;
    const key = JSON.stringify(task.data);
    if (key === this.ownSpecKey) return undefined;
    const dataset: DatasetSpec = {
      name: "own",
      own: { spec: task.data, files: { train: own.path } },
    };
    try {
      // Loaded here only to check it (not cached: the workers load their own copy to train on).
      const train = (await loadOwnDataset(task.data, { train: own.path })).train;
      this.indices = Int32Array.from({ length: train.n }, (_, i) => i);
    } catch (err) {
      if (err instanceof DataSourceError)
        return `this node's data does not fit the run: ${err.message}`;
      throw err;
    }
    await this.pool?.close();
    this.pool = new TrainingPool({ workers: this.opts.workers ?? 1 });
    this.engine = await this.pool.start(dataset);
    this.ownSpecKey = key;
    return undefined;
  }

  /** Loads the node's data and starts its training worker(s). */
  async prepare(): Promise<AgentHello> {
    const { data } = this.opts;
    if (data.own) return this.prepareOwn();
    const ds = await loadDataset(data.dataset.name, data.dataset);
    const start = data.range?.start ?? 0;
    const end = Math.min(data.range?.end ?? ds.train.n, ds.train.n);
    if (end <= start) throw new Error(`--data ${data.label}: no samples in that range`);
    this.indices = Int32Array.from({ length: end - start }, (_, i) => start + i);
    const labels = ds.train.y.subarray(start, end);
    this.pool = new TrainingPool({ workers: this.opts.workers ?? 1 });
    this.engine = await this.pool.start(data.dataset);
    this.hello = {
      data: data.label,
      samples: this.indices.length,
      histogram: labelHistogram(labels, Array.from(labels.keys()), 10),
      backend: this.engine.backend,
    };
    this.log(
      `data ${data.label}: ${this.indices.length} samples; engine ${this.engine.backend}; wallet ${this.opts.account.address}`,
    );
    return this.hello;
  }

  async close(): Promise<void> {
    await this.pool?.close();
  }

  /** Registers the node (EIP-712 signature by its wallet); fine if it already is. */
  async register(): Promise<void> {
    const domain = await this.client.json<{ chainId: number; verifyingContract: `0x${string}` }>(
      "GET",
      "/api/agent/domain",
    );
    const deadline = BigInt(Math.floor(Date.now() / 1000) + 3600);
    const signature = await signRegistration(this.opts.account, domain, this.opts.nodeId, deadline);
    const res = await this.client.call("POST", "/api/nodes", {
      body: {
        nodeId: this.opts.nodeId,
        wallet: this.opts.account.address,
        deadline: Number(deadline),
        signature,
      },
    });
    this.log(res.status === 201 ? "registered" : "already registered");
  }

  private async announce(): Promise<void> {
    await this.client.call("POST", "/api/agent/hello", { body: this.hello, signed: true });
  }

  /** Runs until the signal aborts. */
  async run(signal: AbortSignal): Promise<void> {
    if (!this.hello) await this.prepare();
    let delay = 500;
    let connected = false;
    while (!signal.aborted) {
      try {
        if (!connected) {
          await this.register();
          await this.announce();
          connected = true;
          delay = 500;
          this.log(`connected to ${this.opts.coordinator}`);
        }
        const res = await this.client.call("GET", "/api/agent/task?waitMs=20000", {
          signed: true,
          timeoutMs: 40_000,
          longPoll: true,
          signal,
        });
        if (res.status === 204) continue;
        const task = AgentTask.parse(await res.json());
        const below =
          floorViolation(task, this.opts.floor ?? {}) ??
          AgentCompression.misfit(task) ??
          (await this.dataMisfit(task));
        if (below) await this.refuse(task, below);
        else await this.work(task);
      } catch (err) {
        if (signal.aborted) break;
        if (err instanceof CoordinatorError) {
          if (["agent_hello_first", "node_not_registered"].includes(err.code)) {
            connected = false;
            continue;
          }
          if (err.code === "node_taken" || err.code === "bad_signature") throw err;
          this.log(`coordinator refused: ${err.message}`);
        } else if (err instanceof CoordinatorUnreachable) {
          if (connected) this.log(`lost the coordinator (${err.message}); retrying`);
          connected = false;
        } else {
          this.log(`error: ${(err as Error).message}`);
        }
        await sleep(delay, signal);
        delay = Math.min(delay * 2, 5_000);
      }
    }
  }

  /**
   * This node's EIP-712 signature over the task's run and round, `updateHash` and its samples, as
   * the metadata sent with an update (header) or a masked input (commitment).
   */
  private async signTaskUpdate(
    task: AgentTask,
    updateHash: `0x${string}`,
    result: { numSamples: number; trainLoss: number },
    unclipped: boolean | undefined,
  ): Promise<AgentUpdateHeader> {
    const signed = await signUpdate(
      this.opts.account,
      {
        chainId: task.domain.chainId,
        verifyingContract: task.domain.verifyingContract as `0x${string}`,
      },
      {
        runId: task.chainRunId as `0x${string}`,
        round: task.round,
        updateHash,
        samples: result.numSamples,
      },
    );
    return {
      runId: signed.runId,
      round: signed.round,
      updateHash: signed.updateHash,
      samples: signed.samples,
      signature: signed.signature,
      trainLoss: result.trainLoss,
      ...(unclipped === undefined ? {} : { unclipped }),
    };
  }

  /** Tells the coordinator this node will not do `task`, and why; nothing of its data is used. */
  private async refuse(task: AgentTask, reason: string): Promise<void> {
    this.log(`round ${task.round} of ${task.runId}: refused the task: ${reason}`);
    await this.client.call("POST", `/api/agent/tasks/${task.taskId}/refuse`, {
      body: { reason },
      signed: true,
    });
  }

  private async work(task: AgentTask): Promise<void> {
    const meter = new TaskMeter();
    this.log(
      `round ${task.round} of ${task.runId}: training ${modelLabel(task.model)}, ${task.epochs} epoch(s)`,
    );
    let start: Float32Array;
    try {
      start = await this.compression.download(this.client, task);
    } catch (err) {
      if (err instanceof CompressionRefusal) return this.refuse(task, err.message);
      throw err;
    }
    let lastSent = 0;
    const result = await this.pool!.train({
      model: task.model,
      weights: start,
      indices: this.indices,
      epochs: task.epochs,
      batchSize: task.batchSize,
      learningRate: task.learningRate,
      seed: task.seed,
      ...(task.proxMu ? { proxMu: task.proxMu } : {}),
      onProgress: (p) => {
        const now = Date.now();
        if (now - lastSent < 500 && p.batch < p.batches) return;
        lastSent = now;
        const resources = meter.report(this.lastUploadBytes, this.client.latencyMs);
        void this.client
          .call("POST", `/api/agent/tasks/${task.taskId}/progress`, {
            body: { epoch: p.epoch, batch: p.batch, batches: p.batches, loss: p.loss, resources },
            signed: true,
          })
          .catch(() => undefined);
      },
    });
    // With privacy, clip and noise the delta here: nothing unnoised leaves this machine.
    const sent = task.privacy
      ? privatizeUpdate(start, result.weights, task.privacy)
      : { weights: result.weights, unclipped: undefined };
    if (task.secure) {
      await this.secureAggregate(task, start, sent, result);
      return;
    }
    // A compressing run: the delta from the model it downloaded, compressed, is what is signed.
    let compressed;
    try {
      compressed = this.compression.upload(task, start, sent.weights);
    } catch (err) {
      if (err instanceof CompressionRefusal) return this.refuse(task, err.message);
      throw err;
    }
    const header = await this.signTaskUpdate(
      task,
      compressed?.hash ?? hashWeights(sent.weights),
      result,
      sent.unclipped,
    );
    const raw = compressed?.bytes ?? weightsToBytes(sent.weights);
    try {
      await this.client.call("POST", `/api/agent/tasks/${task.taskId}/update`, {
        raw,
        signed: true,
        headers: { [AGENT_HEADERS.update]: encodeUpdateHeader(header) },
      });
      this.lastUploadBytes = raw.byteLength;
      this.log(
        `round ${task.round}: sent update (${result.numSamples} samples, train loss ${result.trainLoss.toFixed(4)}, ${(result.durationMs / 1000).toFixed(1)} s)`,
      );
    } catch (err) {
      if (err instanceof CoordinatorError && err.code === "task_closed") {
        this.log(`round ${task.round}: too late, the round closed without this update`);
        return;
      }
      throw err;
    }
  }

  private walletLookup: { ledger: string; lookup: RegisteredWalletLookup } | undefined;

  /** Reads peers' registered wallets from the ledger on chain (undefined without --chain-rpc). */
  private registeredWallets(task: AgentTask): RegisteredWalletLookup | undefined {
    if (!this.opts.chainRpc) return undefined;
    const ledger = this.opts.ledger ?? (task.domain.verifyingContract as `0x${string}`);
    if (this.walletLookup?.ledger !== ledger) {
      this.log(
        `checking peers' SecAgg keys against node registrations of ledger ${ledger} on ${this.opts.chainRpc}`,
      );
      this.walletLookup = { ledger, lookup: ledgerWalletLookup(this.opts.chainRpc, ledger) };
    }
    return this.walletLookup.lookup;
  }

  /**
   * Secure aggregation: instead of sending its update, the agent runs the four SecAgg stages with
   * the coordinator (advertise keys, share keys, masked input, unmasking) so that the coordinator
   * only learns the sum of the round's masked inputs. It masks weight x delta (see
   * AgentSecureTask) and signs its sample count with the hash of its masked input.
   */
  private async secureAggregate(
    task: AgentTask,
    start: Float32Array,
    sent: { weights: Float32Array; unclipped: boolean | undefined },
    result: { numSamples: number; trainLoss: number },
  ): Promise<void> {
    const secure = task.secure!;
    const config = secure.config;
    if (config.sessionId !== secureSessionId(task.chainRunId, task.round)) {
      throw new Error(`secure session ${config.sessionId} is not this run and round's`);
    }
    if (config.vectorLength !== task.parameterCount) {
      throw new Error(
        `secure session masks ${config.vectorLength} values, the model has ${task.parameterCount}`,
      );
    }
    const base = `/api/agent/tasks/${task.taskId}/secagg`;
    const post = (kind: string, body: unknown) =>
      this.client.call("POST", `${base}/${kind}`, { body, signed: true });
    const poll = async (kind: SecAggPoll): Promise<unknown> => {
      for (;;) {
        const res = await this.client.call("GET", `${base}/${kind}?waitMs=20000`, {
          signed: true,
          timeoutMs: 40_000,
          longPoll: true,
        });
        if (res.status !== 204) return res.json();
      }
    };
    const delta = modelDelta(sent.weights, start);
    const weight = secureInputWeight(secure.weighting, result.numSamples);
    for (let j = 0; j < delta.length; j++) delta[j] = delta[j]! * weight;
    const client = new SecAggClient(this.opts.nodeId, config);
    try {
      await post(
        "advertise-keys",
        await signAdvertisedKeys(this.opts.account, client.advertiseKeys()),
      );
      const roster = KeyRosterMessageSchema.parse(await poll("roster"));
      const walletOf = this.registeredWallets(task);
      if (walletOf) {
        await verifyRosterSignatures(roster, walletOf);
        this.log(
          `round ${task.round}: the keys of all ${roster.clients.length} node(s) are signed by their wallets registered on chain`,
        );
      }
      await post("share-keys", client.shareKeys(roster));
      this.log(`round ${task.round}: shared keys with ${roster.clients.length - 1} peer(s)`);
      const delivery = ShareDeliveryMessageSchema.parse(await poll("delivery"));
      const masked = client.maskInput(delivery, delta);
      const commitment: AgentSecureCommitment = await this.signTaskUpdate(
        task,
        hashMaskedInput(masked.maskedInput),
        result,
        sent.unclipped,
      );
      const upload = { message: masked, commitment };
      await post("masked-input", upload);
      this.lastUploadBytes = Buffer.byteLength(JSON.stringify(upload));
      this.log(`round ${task.round}: sent masked input (${result.numSamples} samples)`);
      const request = UnmaskRequestMessageSchema.parse(await poll("unmask-request"));
      await post("unmasking", client.unmask(request));
      this.log(
        `round ${task.round}: unmasking sent (${request.survivors.length} survivor(s), train loss ${result.trainLoss.toFixed(4)})`,
      );
    } catch (err) {
      if (
        err instanceof SecAggError ||
        (err instanceof CoordinatorError &&
          (err.code.startsWith("secagg_") || ["task_not_found", "task_closed"].includes(err.code)))
      ) {
        this.log(
          `round ${task.round}: secure aggregation went on without this node (${err.message})`,
        );
        return;
      }
      throw err;
    }
  }
}

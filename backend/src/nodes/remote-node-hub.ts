import { randomBytes } from "node:crypto";
import { PAYLOAD_VERSION } from "../compression/payload-format.js";
import type { TrainTask, TrainingEngine } from "../engine/port.js";
import type { NodeResourceReport, UpdateResources } from "../domain/index.js";
import {
  AGENT_ONLINE_MS,
  type AgentHello,
  type AgentResources,
  type AgentTask,
} from "./agent-protocol.js";
import {
  TaskRefused,
  type FitContext,
  type NodeProgress,
  type NodeSubmission,
  type NodeDataSummary,
  type Participant,
} from "./participant.js";
import type { RemoteSecAggSession } from "./remote-secagg-session.js";
import type { SignedUpdate } from "./update-signing.js";

/** Grace between an agent's long polls (it re-polls at once after each answer). */
const BETWEEN_POLLS_MS = 3_000;

export interface RemoteNodeState {
  nodeId: string;
  wallet: `0x${string}`;
  lastSeen: number;
  hello?: AgentHello;
  /** The task the node is working on, if any. */
  taskId?: string;
  /** Its latest resource report (with a progress message), if it sent one. */
  resources?: NodeResourceReport;
}

interface PendingTask {
  task: AgentTask;
  nodeId: string;
  wallet: `0x${string}`;
  weights: Float32Array;
  /** A compressing run's download (the global model in the wire format); else raw weights. */
  download?: Uint8Array;
  handedOut: boolean;
  /** When it was queued, and when the node first took it (the start of its training time). */
  assignedAt: number;
  handedOutAt?: number;
  /** The node's latest resource report for this task. */
  report?: AgentResources;
  onProgress?: (p: NodeProgress) => void;
  /** Secure aggregation: the round's session (the task stays open until the round closes). */
  session?: RemoteSecAggSession;
  resolve: (s: NodeSubmission) => void;
  reject: (e: Error) => void;
}

/**
 * The coordinator's side of remote node agents: who is online, which task each node has, and the
 * hand-over of tasks (long polling) and updates. A round's participants that are remote are
 * RemoteParticipants; their fit() resolves when the node's signed update arrives. Nothing here
 * is trusted: the round executor validates every update (shape, finiteness, hash, signature).
 */
export class RemoteNodeHub {
  private readonly nodes = new Map<string, RemoteNodeState>();
  private readonly tasks = new Map<string, PendingTask>();
  private readonly waiters = new Map<string, () => void>();
  /** Long polls open now, per node: a live agent always has one unless it is training. */
  private readonly polling = new Map<string, number>();

  /** Marks a node seen (every authenticated agent call does). */
  seen(nodeId: string, wallet: `0x${string}`, hello?: AgentHello): RemoteNodeState {
    const prev = this.nodes.get(nodeId);
    const state: RemoteNodeState = {
      ...prev,
      nodeId,
      wallet,
      lastSeen: Date.now(),
      ...(hello ? { hello } : {}),
    };
    this.nodes.set(nodeId, state);
    return state;
  }

  get(nodeId: string): RemoteNodeState | undefined {
    return this.nodes.get(nodeId);
  }

  /** The latest resource report of every online node that sent one, by node id. */
  resources(now = Date.now()): Map<string, NodeResourceReport> {
    const out = new Map<string, NodeResourceReport>();
    for (const n of this.online(now)) if (n.resources) out.set(n.nodeId, n.resources);
    return out;
  }

  /**
   * Nodes that announced their data and are live: polling now, working on a task, or seen in the
   * last few seconds (between two polls); never one silent for AGENT_ONLINE_MS. Sorted by id.
   */
  online(now = Date.now()): RemoteNodeState[] {
    return [...this.nodes.values()]
      .filter(
        (n) =>
          n.hello &&
          now - n.lastSeen <= AGENT_ONLINE_MS &&
          ((this.polling.get(n.nodeId) ?? 0) > 0 ||
            n.taskId !== undefined ||
            now - n.lastSeen <= BETWEEN_POLLS_MS),
      )
      .sort((a, b) => a.nodeId.localeCompare(b.nodeId));
  }

  /** Tracks an open long poll of a node; call the returned function when it ends. */
  openPoll(nodeId: string): () => void {
    this.polling.set(nodeId, (this.polling.get(nodeId) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const n = (this.polling.get(nodeId) ?? 1) - 1;
      if (n <= 0) this.polling.delete(nodeId);
      else this.polling.set(nodeId, n);
      const node = this.nodes.get(nodeId);
      if (node) node.lastSeen = Date.now();
    };
  }

  participant(node: RemoteNodeState): Participant {
    return new RemoteParticipant(
      this,
      node.nodeId,
      node.wallet,
      node.hello?.samples ?? 0,
      node.hello
        ? {
            label: node.hello.data,
            ...(node.hello.classes ? { classes: node.hello.classes } : {}),
            ...(node.hello.columns ? { columns: node.hello.columns } : {}),
          }
        : undefined,
    );
  }

  /** Queues a task for a node; resolves with its submission. */
  assign(
    nodeId: string,
    wallet: `0x${string}`,
    task: Omit<AgentTask, "taskId">,
    weights: Float32Array,
    onProgress?: (p: NodeProgress) => void,
    session?: RemoteSecAggSession,
    download?: Uint8Array,
  ): Promise<NodeSubmission> {
    // A node works on one task at a time: a newer one replaces an abandoned older one.
    for (const [id, t] of this.tasks) {
      if (t.nodeId === nodeId) {
        this.tasks.delete(id);
        t.reject(new Error("superseded by a newer task"));
      }
    }
    const taskId = `task-${randomBytes(8).toString("hex")}`;
    return new Promise<NodeSubmission>((resolve, reject) => {
      this.tasks.set(taskId, {
        task: { ...task, taskId },
        nodeId,
        wallet,
        weights,
        ...(download ? { download } : {}),
        handedOut: false,
        assignedAt: Date.now(),
        ...(onProgress ? { onProgress } : {}),
        ...(session ? { session } : {}),
        resolve,
        reject,
      });
      this.waiters.get(nodeId)?.();
    });
  }

  /** The node's pending task, waiting up to waitMs for one (long poll). */
  async nextTask(nodeId: string, waitMs: number): Promise<AgentTask | undefined> {
    // A secure task is handed out once: its SecAgg keys live only in the agent that took it.
    const find = () => {
      for (const t of this.tasks.values()) {
        if (t.nodeId === nodeId && !(t.session && t.handedOut)) return t;
      }
      return undefined;
    };
    let t = find();
    if (!t && waitMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, waitMs);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.waiters.get(nodeId)?.();
        this.waiters.set(nodeId, done);
      });
      if (this.waiters.get(nodeId)) this.waiters.delete(nodeId);
      t = find();
    }
    if (!t) return undefined;
    t.handedOut = true;
    t.handedOutAt ??= Date.now();
    const node = this.nodes.get(nodeId);
    if (node) node.taskId = t.task.taskId;
    return t.task;
  }

  taskFor(taskId: string, nodeId: string): PendingTask | undefined {
    const t = this.tasks.get(taskId);
    return t && t.nodeId === nodeId ? t : undefined;
  }

  /** A progress message of a node's task; its resource report (if any) is kept as its latest. */
  progress(taskId: string, nodeId: string, p: NodeProgress): boolean {
    const t = this.taskFor(taskId, nodeId);
    if (!t) return false;
    if (p.resources) {
      t.report = p.resources;
      const node = this.nodes.get(nodeId);
      if (node) {
        node.resources = {
          ...p.resources,
          reportedAt: Date.now(),
          runId: t.task.runId,
          round: t.task.round,
        };
      }
    }
    try {
      t.onProgress?.(p);
    } catch {
      /* a listener's problem is not the agent's */
    }
    return true;
  }

  /** Hands a node's update (raw weights, or a compressed payload) to the round waiting for it. */
  submit(
    taskId: string,
    nodeId: string,
    update: { weights: Float32Array } | { payload: Uint8Array },
    signed: SignedUpdate,
    trainLoss: number,
    unclipped?: boolean,
  ): boolean {
    const t = this.taskFor(taskId, nodeId);
    if (!t) return false;
    this.tasks.delete(taskId);
    const node = this.nodes.get(nodeId);
    if (node) delete node.taskId;
    const bytes = "payload" in update ? update.payload : update.weights;
    t.resolve({
      nodeId,
      wallet: t.wallet,
      // A payload is decoded by the validate step, like a simulated node's.
      ...("payload" in update
        ? { weights: new Float32Array(0), payload: update.payload }
        : { weights: update.weights }),
      signed,
      reportedTrainLoss: trainLoss,
      ...(unclipped === undefined ? {} : { unclipped }),
      resources: taskResources(t, bytes.byteLength, this.nodes.get(nodeId)?.resources),
    });
    return true;
  }

  /**
   * The node sent an update the coordinator cannot read (a malformed compressed payload): the
   * round gets the reason as the node's outcome at once, and the node earns nothing for it.
   */
  rejectUpdate(taskId: string, nodeId: string, reason: string): boolean {
    const t = this.taskFor(taskId, nodeId);
    if (!t) return false;
    this.tasks.delete(taskId);
    const node = this.nodes.get(nodeId);
    if (node) delete node.taskId;
    t.reject(new TaskRefused(`malformed compressed update: ${reason}`));
    return true;
  }

  /**
   * Secure aggregation: the node's masked input and signed commitment were accepted; the round
   * gets its submission (without weights), and the task stays open for the unmasking stage.
   */
  submitSecure(
    taskId: string,
    nodeId: string,
    submission: NodeSubmission,
    uploadBytes: number,
  ): boolean {
    const t = this.taskFor(taskId, nodeId);
    if (!t) return false;
    t.resolve({
      ...submission,
      resources: taskResources(t, uploadBytes, this.nodes.get(nodeId)?.resources),
    });
    return true;
  }

  /**
   * The node refused its task (below its privacy floor): the round gets the refusal as the node's
   * outcome at once instead of waiting for the deadline.
   */
  refuse(taskId: string, nodeId: string, reason: string): boolean {
    const t = this.taskFor(taskId, nodeId);
    if (!t) return false;
    this.tasks.delete(taskId);
    const node = this.nodes.get(nodeId);
    if (node) delete node.taskId;
    t.reject(new TaskRefused(`refused the task: ${reason}`));
    return true;
  }

  /** Drops the tasks of a finished round (stragglers' late updates are then refused). */
  closeRound(runId: string, round: number): void {
    for (const [id, t] of this.tasks) {
      if (t.task.runId === runId && t.task.round === round) {
        this.tasks.delete(id);
        const node = this.nodes.get(t.nodeId);
        if (node?.taskId === id) delete node.taskId;
        t.reject(new Error("the round closed before this node's update arrived"));
      }
    }
  }

  close(): void {
    for (const [id, t] of this.tasks) {
      this.tasks.delete(id);
      t.reject(new Error("coordinator shutting down"));
    }
    for (const w of this.waiters.values()) w();
    this.waiters.clear();
  }
}

/**
 * What a task's update cost, as the coordinator saw it arrive now (training time from the node
 * taking the task, bytes received) and as the node last reported (CPU, memory, latency): for this
 * task, or else its latest report of all.
 */
function taskResources(
  t: PendingTask,
  uploadBytes: number,
  latest: AgentResources | undefined,
): UpdateResources {
  const report = t.report ?? latest;
  return {
    trainingMs: Math.max(0, Date.now() - (t.handedOutAt ?? t.assignedAt)),
    uploadBytes,
    cpuPercent: report?.cpuPercent ?? null,
    rssBytes: report?.rssBytes ?? null,
    latencyMs: report?.latencyMs ?? null,
  };
}

class RemoteParticipant implements Participant {
  readonly remote = true;
  constructor(
    private readonly hub: RemoteNodeHub,
    readonly id: string,
    readonly wallet: `0x${string}`,
    readonly samples: number,
    readonly data?: NodeDataSummary,
  ) {}

  fit(
    _engine: TrainingEngine,
    task: Omit<TrainTask, "indices">,
    ctx: FitContext,
  ): Promise<NodeSubmission> {
    if (!ctx.remote) return Promise.reject(new Error("remote task context missing"));
    return this.hub.assign(
      this.id,
      this.wallet,
      {
        runId: ctx.remote.runId,
        chainRunId: ctx.runId,
        round: ctx.round,
        model: task.model,
        dataset: ctx.remote.dataset,
        ...(ctx.remote.ownData ? { data: ctx.remote.ownData } : {}),
        parameterCount: ctx.remote.parameterCount,
        epochs: task.epochs,
        batchSize: task.batchSize,
        learningRate: task.learningRate,
        seed: task.seed,
        ...(task.proxMu ? { proxMu: task.proxMu } : {}),
        ...(ctx.privacy
          ? {
              privacy: {
                clipNorm: ctx.privacy.clipNorm,
                noiseMultiplier: ctx.privacy.noiseMultiplier,
              },
            }
          : {}),
        domain: ctx.domain,
        deadline: ctx.remote.deadline,
        ...(ctx.remote.secure ? { secure: ctx.remote.secure.task } : {}),
        ...(ctx.compression
          ? { compression: { wireFormat: PAYLOAD_VERSION, spec: ctx.compression.spec } }
          : {}),
      },
      task.weights,
      task.onProgress,
      ctx.remote.secure?.session,
      ctx.compression?.download ?? undefined,
    );
  }
}

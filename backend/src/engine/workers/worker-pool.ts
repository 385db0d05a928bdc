/**
 * TrainingPool: local training of simulated nodes on worker_threads (one per core by default).
 * Tasks queue onto free workers, so any number of simulated nodes share a fixed set of threads.
 * Each worker loads the dataset itself from the package files (only indices and weights cross
 * threads); weights travel as transferred Float32Array buffers.
 */
import os from "node:os";
import { Worker } from "node:worker_threads";
import type { BackendPreference, EngineInfo } from "../backend/select-backend.js";
import { modelLabel, type ModelRef } from "../models/model-ref.js";
import { combinePartials, type EvalPartial, type EvalResult } from "../eval-partials.js";
import type { TrainProgress } from "../trainer.js";
import type { DatasetSpec, EvalSplit, FromWorker, ToWorker, WorkerInit } from "./protocol.js";

export type { DatasetSpec, EvalSplit } from "./protocol.js";

export interface TrainingPoolOptions {
  /** Number of worker threads. Default: os.availableParallelism(). */
  workers?: number;
  /** Backend for the workers; default FEDLEDGER_TF_BACKEND or "auto" (see selectBackend). */
  backend?: BackendPreference;
}

/** One node's local training job. */
export interface TrainTask {
  model: ModelRef;
  /** Starting weights (flat). Copied; the caller's array stays usable. */
  weights: Float32Array;
  /** Indices into the training split of the dataset given to start(). */
  indices: Int32Array | number[];
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Seeds the per-epoch minibatch shuffles. */
  seed: number;
  /** FedProx proximal term weight mu (loss += mu/2 ||w - w_start||^2). Default 0. */
  proxMu?: number;
  /** Called on the main thread at most every ~250 ms and after each epoch's last batch. */
  onProgress?: (p: TrainProgress) => void;
}

export interface TrainResult {
  weights: Float32Array;
  numSamples: number;
  /** Mean minibatch cross-entropy over the last local epoch. */
  trainLoss: number;
  /** Wall time of the local training inside the worker. */
  durationMs: number;
}

export interface EvaluateRequest {
  model: ModelRef;
  weights: Float32Array;
  split: EvalSplit;
  /** Evaluate only the first `limit` samples of the split. */
  limit?: number;
}

interface Job {
  msg: ToWorker;
  transfer: ArrayBuffer[];
  resolve: (m: FromWorker) => void;
  reject: (e: Error) => void;
  onProgress?: (p: TrainProgress) => void;
  label: string;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  job: Job | null;
  /** When the current job was posted (performance.now()). */
  jobStarted: number;
  dead: boolean;
}

/** What every pool in this process is doing, for the coordinator's /metrics. */
export interface PoolActivity {
  /** Live workers (started, not crashed or closed). */
  workers: number;
  /** Workers running a job now. */
  busy: number;
  /** Seconds spent running jobs, summed over workers, since the process started. */
  busySeconds: number;
}

const livePools = new Set<TrainingPool>();
let busyMsTotal = 0;

/** A slot's job ended (done, failed or cancelled): count its time. */
function jobEnded(slot: Slot): void {
  if (slot.job) busyMsTotal += performance.now() - slot.jobStarted;
  slot.job = null;
}

/** tsx's loader, when the engine runs from TypeScript sources. */
function workerSource(): { code: string } {
  const here = import.meta.url;
  const ext = here.endsWith(".ts") ? ".ts" : ".js";
  const workerUrl = new URL(`./training-worker${ext}`, here).href;
  const register =
    ext === ".ts"
      ? `const api = await import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))}); api.register();`
      : "";
  // An ES-module bootstrap: registers tsx in this thread (whatever loaded the parent), then
  // imports the worker module.
  const code =
    `(async () => { ${register} await import(${JSON.stringify(workerUrl)}); })().catch((e) => {` +
    ` require("node:worker_threads").parentPort.postMessage({ type: "fatal", message: String(e && e.stack || e) });` +
    ` process.exit(1); });`;
  return { code };
}

export class TrainingPool {
  readonly size: number;
  private readonly backend: BackendPreference | undefined;
  private slots: Slot[] = [];
  private queue: Job[] = [];
  private nextId = 1;
  private dataset: DatasetSpec | null = null;
  private engine: EngineInfo | null = null;
  private trainSize = 0;
  private closed = false;
  /**
   * Evaluation jobs sent to workers so far, and how many of them were shares of one model's
   * batches (a lone model on 2 idle workers: 2 jobs, 2 shares). For tests and benches.
   */
  readonly evaluationJobs = { jobs: 0, shares: 0 };

  /** Workers and jobs of every open pool in this process. */
  static activity(): PoolActivity {
    let workers = 0;
    let busy = 0;
    let runningMs = 0;
    const now = performance.now();
    for (const pool of livePools) {
      for (const s of pool.slots) {
        if (s.dead || !s.ready) continue;
        workers++;
        if (s.job) {
          busy++;
          runningMs += now - s.jobStarted;
        }
      }
    }
    return { workers, busy, busySeconds: (busyMsTotal + runningMs) / 1000 };
  }

  constructor(opts: TrainingPoolOptions = {}) {
    const n = opts.workers ?? os.availableParallelism();
    if (!(Number.isInteger(n) && n >= 1))
      throw new RangeError(`workers must be an integer >= 1, got ${n}`);
    this.size = n;
    this.backend = opts.backend;
  }

  /** Starts the workers; each loads `dataset` and selects its backend. Resolves with the engine. */
  async start(dataset: DatasetSpec): Promise<EngineInfo> {
    if (this.dataset) throw new Error("TrainingPool already started");
    this.dataset = { ...dataset };
    livePools.add(this);
    try {
      await Promise.all(Array.from({ length: this.size }, () => this.spawn()));
    } catch (err) {
      await this.close();
      throw err;
    }
    return this.engine!;
  }

  /** The engine the workers use (null before start). */
  info(): EngineInfo | null {
    return this.engine;
  }

  /** Number of samples in the workers' training split. */
  get trainSamples(): number {
    return this.trainSize;
  }

  /** Trains one node's model on its samples; queued until a worker is free. */
  async train(task: TrainTask): Promise<TrainResult> {
    const weights = Float32Array.from(task.weights);
    const indices = Int32Array.from(task.indices);
    const msg: ToWorker = {
      type: "train",
      id: this.nextId++,
      model: task.model,
      weights,
      indices,
      epochs: task.epochs,
      batchSize: task.batchSize,
      learningRate: task.learningRate,
      seed: task.seed,
      proxMu: task.proxMu,
      progress: Boolean(task.onProgress),
    };
    const m = await this.submit(
      msg,
      [weights.buffer, indices.buffer],
      `train ${modelLabel(task.model)}`,
      task.onProgress,
    );
    if (m.type !== "trained") throw new Error(`unexpected worker reply ${m.type}`);
    return {
      weights: m.weights,
      numSamples: m.numSamples,
      trainLoss: m.trainLoss,
      durationMs: m.durationMs,
    };
  }

  /** Loss and accuracy of one weight vector on a split. */
  async evaluate(req: EvaluateRequest): Promise<EvalResult> {
    const [r] = await this.evaluateMany(req.model, [req.weights], req.split, { limit: req.limit });
    return r!;
  }

  /**
   * Evaluates many weight vectors on the same split (e.g. contribution scoring), spread across
   * the workers; each worker keeps the split uploaded and runs batched forward passes. With
   * fewer models than idle workers, each model's batches are shared among them (one model on 2
   * idle workers: half the time), and the shares combine exactly (eval-partials.ts).
   * Results are in the order of `weightsList`.
   */
  async evaluateMany(
    model: ModelRef,
    weightsList: Float32Array[],
    split: EvalSplit,
    opts: { limit?: number } = {},
  ): Promise<EvalResult[]> {
    if (weightsList.length === 0) return [];
    const wireSplit =
      typeof split === "string" ? split : { indices: Int32Array.from(split.indices) };
    const job = (weights: Float32Array[], part?: { index: number; of: number }) => {
      const copies = weights.map((w) => Float32Array.from(w));
      const msg: ToWorker = {
        type: "evaluate",
        id: this.nextId++,
        model,
        weights: copies,
        split: wireSplit,
        limit: opts.limit,
        ...(part ? { part } : {}),
      };
      this.evaluationJobs.jobs++;
      if (part) this.evaluationJobs.shares++;
      return this.submit(
        msg,
        copies.map((w) => w.buffer),
        `evaluate ${modelLabel(model)}`,
      ).then((m): EvalPartial[] => {
        if (m.type !== "evaluated") throw new Error(`unexpected worker reply ${m.type}`);
        return m.partials;
      });
    };
    const shares = Math.floor(this.idleWorkers() / weightsList.length);
    if (shares > 1) {
      return Promise.all(
        weightsList.map(async (w) => {
          const parts = await Promise.all(
            Array.from({ length: shares }, (_, index) => job([w], { index, of: shares })),
          );
          return combinePartials(parts.map((p) => p[0]!));
        }),
      );
    }
    const chunk = Math.ceil(weightsList.length / Math.min(this.size, weightsList.length));
    const jobs: Promise<EvalPartial[]>[] = [];
    for (let s = 0; s < weightsList.length; s += chunk)
      jobs.push(job(weightsList.slice(s, s + chunk)));
    return (await Promise.all(jobs)).flat().map((p) => combinePartials([p]));
  }

  /** Workers with nothing to run now (nothing queued for them either). */
  private idleWorkers(): number {
    const idle = this.slots.filter((s) => s.ready && !s.dead && !s.job).length;
    return Math.max(0, idle - this.queue.length);
  }

  /** tf.memory() of every worker (for leak checks). Waits for queued work first. */
  async memory(): Promise<{ numTensors: number; numBytes: number }[]> {
    return Promise.all(
      this.slots.map((slot) =>
        this.submit({ type: "memory", id: this.nextId++ }, [], "memory", undefined, slot).then(
          (m) => {
            if (m.type !== "memory") throw new Error(`unexpected worker reply ${m.type}`);
            return { numTensors: m.numTensors, numBytes: m.numBytes };
          },
        ),
      ),
    );
  }

  /** Test hook: makes one worker throw an uncaught error (the pool must replace it). */
  crashOneWorker(): Promise<FromWorker> {
    return this.submit({ type: "crash", id: this.nextId++ }, [], "crash test");
  }

  /** Stops all workers; queued and running tasks are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    livePools.delete(this);
    const err = new Error("TrainingPool closed");
    for (const j of this.queue.splice(0)) j.reject(err);
    const slots = this.slots.splice(0);
    for (const s of slots) {
      s.dead = true;
      s.job?.reject(err);
      jobEnded(s);
    }
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  private submit(
    msg: ToWorker,
    transfer: ArrayBuffer[],
    label: string,
    onProgress?: (p: TrainProgress) => void,
    pinned?: Slot,
  ): Promise<FromWorker> {
    if (this.closed) return Promise.reject(new Error("TrainingPool closed"));
    if (!this.dataset)
      return Promise.reject(new Error("TrainingPool not started: call start(dataset) first"));
    return new Promise((resolve, reject) => {
      const job: Job = { msg, transfer, resolve, reject, onProgress, label };
      if (pinned) {
        // Runs after the slot's current job (used by memory()).
        this.pinned.set(pinned, [...(this.pinned.get(pinned) ?? []), job]);
      } else {
        this.queue.push(job);
      }
      this.dispatch();
    });
  }

  private pinned = new Map<Slot, Job[]>();

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.dead || !slot.ready || slot.job) continue;
      const pinnedJobs = this.pinned.get(slot);
      const job = pinnedJobs?.shift() ?? this.queue.shift();
      if (!job) continue;
      slot.job = job;
      slot.jobStarted = performance.now();
      slot.worker.postMessage(job.msg, job.transfer);
    }
  }

  private spawn(): Promise<void> {
    const init: WorkerInit = { dataset: this.dataset!, backend: this.backend };
    const worker = new Worker(workerSource().code, { eval: true, workerData: init });
    const slot: Slot = { worker, ready: false, job: null, jobStarted: 0, dead: false };
    this.slots.push(slot);
    return new Promise<void>((resolveReady, rejectReady) => {
      const fail = (reason: string) => {
        if (slot.dead) return;
        slot.dead = true;
        this.slots = this.slots.filter((s) => s !== slot);
        const pinnedJobs = this.pinned.get(slot) ?? [];
        this.pinned.delete(slot);
        const err = new Error(`training worker failed: ${reason}`);
        if (!slot.ready) {
          rejectReady(err);
          void worker.terminate();
          return;
        }
        if (slot.job)
          slot.job.reject(new Error(`training worker crashed during ${slot.job.label}: ${reason}`));
        jobEnded(slot);
        for (const j of pinnedJobs) j.reject(err);
        void worker.terminate();
        if (!this.closed) {
          // Replace the crashed worker; queued tasks continue on the others meanwhile.
          this.spawn().then(
            () => this.dispatch(),
            (e: unknown) =>
              console.error(`[engine] could not replace a crashed worker: ${String(e)}`),
          );
        }
      };
      worker.on("message", (m: FromWorker) => {
        switch (m.type) {
          case "ready":
            slot.ready = true;
            this.engine ??= m.info;
            this.trainSize = m.trainSize;
            resolveReady();
            this.dispatch();
            return;
          case "fatal":
            fail(m.message);
            return;
          case "progress":
            if (slot.job?.msg.id === m.id) {
              try {
                slot.job.onProgress?.(m.progress);
              } catch (err) {
                console.error(`[engine] onProgress callback threw: ${String(err)}`);
              }
            }
            return;
          default: {
            const job = slot.job;
            if (!job || job.msg.id !== m.id) return;
            jobEnded(slot);
            if (m.type === "error")
              job.reject(new Error(`${job.label} failed in worker: ${m.message}`));
            else job.resolve(m);
            this.dispatch();
          }
        }
      });
      worker.on("error", (err) => fail(err instanceof Error ? err.message : String(err)));
      worker.on("exit", (code) => fail(`worker exited with code ${code}`));
    });
  }
}

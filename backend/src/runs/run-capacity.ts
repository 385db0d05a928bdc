// What a run will cost before it starts, and whether the coordinator takes it. The estimate is
// deliberately simple and conservative: it is there to refuse (with the number) a run that would
// exhaust the machine, and to queue runs beyond what the machine runs at once, not to predict.
import { DATASETS, runModelRef, tooLarge, type RunConfig } from "../domain/index.js";
import { parameterCount } from "../engine/models/model-ref.js";

export interface RunEstimate {
  /** Resident memory the run adds: datasets in every worker, models in flight, state. */
  memoryMB: number;
  /** Training and evaluation compute, in worker-seconds. */
  cpuSeconds: number;
  /** Store growth: round records, contributions, the checkpoint. */
  storageMB: number;
  /** Transactions: the run's registration, its nodes' (in batches), one per round. */
  chainWrites: number;
}

export interface CapacityLimits {
  maxConcurrentRuns: number;
  maxQueuedRuns: number;
  maxRunMemoryMB: number;
  maxRunCpuHours: number;
  maxRunStorageMB: number;
  /** Chain writes waiting in the outbox beyond which new runs are refused (try again later). */
  maxPendingChainWrites: number;
}

/**
 * Training samples per second per worker thread, by model, at B=10 on this project's 2-core VMs
 * (bench:train, wasm): kept below the measured figures so the estimate errs high.
 */
const SAMPLES_PER_SECOND: Record<RunConfig["model"], number> = {
  cnn: 300,
  "2nn": 8_000,
  logreg: 40_000,
  // A declared topology: scaled from the CNN's rate by parameter count below.
  layers: 300,
};

/** Samples per second per thread: the built-ins' measured rates, scaled to the input size. */
function samplesPerSecond(config: RunConfig, inputSize: number, params: number): number {
  const base = SAMPLES_PER_SECOND[config.model] * (784 / Math.max(1, inputSize));
  if (config.model !== "layers") return Math.max(1, base);
  return Math.max(1, (SAMPLES_PER_SECOND.cnn * 1_663_370) / Math.max(1, params));
}

/** Training set size, test set size and values per sample of a run's data. */
function dataSize(config: RunConfig): { train: number; test: number; inputSize: number } {
  if (config.dataset === "own") {
    const r = config.data?.resolved;
    const train = r?.samples.train ?? 0;
    return {
      train: Math.min(config.trainLimit ?? train, train),
      test: (r?.samples.validation ?? 0) + (r?.samples.test ?? 0),
      inputSize: (r?.inputShape ?? [1]).reduce((a, b) => a * b, 1),
    };
  }
  const d = DATASETS.find((x) => x.id === config.dataset)!;
  return {
    train: Math.min(config.trainLimit ?? d.trainSize, d.trainSize),
    test: d.testSize,
    inputSize: d.inputShape.reduce<number>((a, b) => a * b, 1),
  };
}
/** Evaluation is a forward pass: several times faster than a training step. */
const EVAL_SPEEDUP = 3;
/** Node simulated registrations go out in batches of this many per transaction. */
export const REGISTRATIONS_PER_BATCH = 50;

const MB = 1024 * 1024;

export function estimateRun(config: RunConfig, workers: number): RunEstimate {
  const { train: trainSize, test: testSize, inputSize } = dataSize(config);
  const params = parameterCount(runModelRef(config));
  const modelMB = (params * 4) / MB;
  const perRound = Math.max(1, Math.round(config.fraction * config.numNodes));
  const perNode = trainSize / config.numNodes;
  const datasetMB = ((trainSize + testSize) * (inputSize * 4 + 1)) / MB;
  // Every worker holds the dataset; the coordinator holds each participant's update, the
  // strategy's state, the checkpoint and the models being scored.
  const memoryMB = datasetMB * workers + modelMB * (3 * perRound + 8) + 64;
  const rate = samplesPerSecond(config, inputSize, params);
  const trainSeconds = (config.rounds * perRound * perNode * config.localEpochs) / rate;
  // Scoring evaluates up to (participants + 2) models on 1,000 validation samples per round.
  const evalSeconds = (config.rounds * (perRound + 2) * 1_000) / (rate * EVAL_SPEEDUP);
  const storageMB = (config.rounds * perRound * 600) / MB + modelMB * 3;
  const chainWrites =
    1 +
    (config.nodeSource === "simulated" ? Math.ceil(config.numNodes / REGISTRATIONS_PER_BATCH) : 0) +
    config.rounds;
  return {
    memoryMB: Math.ceil(memoryMB),
    cpuSeconds: Math.ceil(trainSeconds + evalSeconds),
    storageMB: Math.ceil(storageMB),
    chainWrites,
  };
}

/** Refuses a run over a per-run limit, naming the limit and the estimate. */
export function checkRunFits(estimate: RunEstimate, limits: CapacityLimits): void {
  const over: string[] = [];
  if (estimate.memoryMB > limits.maxRunMemoryMB) {
    over.push(`memory ${estimate.memoryMB} MB > MAX_RUN_MEMORY_MB ${limits.maxRunMemoryMB}`);
  }
  const hours = estimate.cpuSeconds / 3600;
  if (hours > limits.maxRunCpuHours) {
    over.push(
      `compute ${hours.toFixed(1)} worker-hours > MAX_RUN_CPU_HOURS ${limits.maxRunCpuHours}`,
    );
  }
  if (estimate.storageMB > limits.maxRunStorageMB) {
    over.push(`storage ${estimate.storageMB} MB > MAX_RUN_STORAGE_MB ${limits.maxRunStorageMB}`);
  }
  if (over.length > 0) {
    throw tooLarge(
      "run_too_large",
      `This run is larger than the coordinator takes: ${over.join("; ")}. Use fewer nodes, rounds, epochs or samples (trainLimit), or a smaller model; the operator can raise the limits.`,
      { estimate, limits },
    );
  }
}

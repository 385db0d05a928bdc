// The production RunEngine: the TensorFlow.js engine of backend/src/engine, with one TrainingPool
// of worker threads per run. The main thread loads the same dataset only to read its training
// labels for the partitioner; the workers load it themselves (only indices and weights cross).
import {
  engineInfo,
  EvaluationCache,
  initialWeights,
  loadDataset,
  parameterCount,
  partition,
  TrainingPool,
  type DatasetSpec,
  type EngineInfo,
} from "../engine/index.js";
import { ownDataSpecOf, runModelRef, type RunConfig } from "../domain/index.js";
import { DEFAULT_DATA_ROOT, ownDataFiles } from "../data-root/own-data-files.js";
import type { RunEngine, RunEngineFactory } from "./run-engine.js";

export interface TfjsRunEngineOptions {
  /** Worker threads per run; default one per core. */
  workers?: number;
  /** Where own-data paths are resolved (default DEFAULT_DATA_ROOT). */
  dataRoot?: string;
  /** Told about each run's started pool (benchmarks ask its workers for tf.memory()). */
  onPool?: (pool: TrainingPool, info: EngineInfo) => void;
}

async function datasetSpec(config: RunConfig, dataRoot: string): Promise<DatasetSpec> {
  if (config.dataset === "own" && config.data) {
    return {
      name: "own",
      ...(config.trainLimit ? { trainLimit: config.trainLimit } : {}),
      own: { spec: ownDataSpecOf(config.data), files: await ownDataFiles(config.data, dataRoot) },
    };
  }
  return {
    name: config.dataset === "own" ? "synthetic" : config.dataset,
    ...(config.trainLimit ? { trainLimit: config.trainLimit } : {}),
    // The synthetic set is one fixed dataset (generated from seed 1), the same a remote node
    // gets with --data synthetic:<range>; the run's seed drives partitions and initialisation.
    seed: 1,
  };
}

export function runEngineFactory(opts: TfjsRunEngineOptions = {}): RunEngineFactory {
  return async (config: RunConfig): Promise<RunEngine> => {
    const spec = await datasetSpec(config, opts.dataRoot ?? DEFAULT_DATA_ROOT);
    const data = await loadDataset(spec.name, spec);
    const model = runModelRef(config);
    const pool = new TrainingPool(opts.workers ? { workers: opts.workers } : {});
    const info = await pool.start(spec);
    opts.onPool?.(pool, info);
    const trainLabels = data.train.y;
    // A round's start model was the previous round's new model: evaluated once per split.
    const evaluations = new EvaluationCache(pool);
    return {
      backendName: info.backend,
      parameterCount: parameterCount(model),
      numClasses: data.numClasses,
      trainLabels,
      validation: { x: data.validation.x, y: data.validation.y },
      initialWeights: (seed) => initialWeights(model, seed),
      partition: (numNodes, seed) =>
        partition(trainLabels, numNodes, config.partition, seed, data.numClasses).map((idx) =>
          Int32Array.from(idx),
        ),
      train: (task) => pool.train(task),
      evaluate: (model, weights, split) => evaluations.evaluate(model, weights, split),
      evaluateMany: (model, weights, split) => evaluations.evaluateMany(model, weights, split),
      evaluationStats: evaluations.stats,
      close: () => pool.close(),
    };
  };
}

/** The engine this process would use, for /api/health. */
export async function describeEngine(): Promise<unknown> {
  return engineInfo();
}

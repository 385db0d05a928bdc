import type { RunConfig } from "../domain/index.js";
import type { EvaluationCacheStats } from "../engine/evaluation-cache.js";
import type { TrainingEngine } from "../engine/port.js";

/** Everything a run needs from the engine side: the data's labels, a model, and workers. */
export interface RunEngine extends TrainingEngine {
  /** Which TensorFlow.js backend trains (e.g. "wasm", "tensorflow"). */
  readonly backendName: string;
  readonly parameterCount: number;
  readonly numClasses: number;
  /** Labels of the training set the partitioner splits across nodes. */
  readonly trainLabels: Uint8Array;
  /** The coordinator's validation split (what scores are measured on), as the workers hold it. */
  readonly validation: { x: Float32Array; y: Uint8Array };
  /** Models evaluated vs asked for (evaluations are cached by the weights' hash). */
  readonly evaluationStats?: EvaluationCacheStats;
  initialWeights(seed: number): Float32Array;
  partition(numNodes: number, seed: number): Int32Array[];
  close(): Promise<void>;
}

export type RunEngineFactory = (config: RunConfig) => Promise<RunEngine>;

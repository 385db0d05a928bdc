/**
 * FedLedger training engine: datasets, partitioners, models, flat weights, the TensorFlow.js
 * backend choice (tfjs-node when present, else wasm with this engine's training kernels) and
 * the worker-thread TrainingPool that runs simulated nodes' local training.
 *
 * Weights always leave the engine as ONE flat Float32Array per model in `paramSpecs(kind)` order.
 */
import { selectBackend, type EngineInfo } from "./backend/select-backend.js";

export {
  DATASET_NAMES,
  DEFAULT_VALIDATION_SIZE,
  DatasetMissingError,
  gatherSplit,
  loadDataset,
  type Dataset,
  type DatasetName,
  type DatasetOptions,
  type Split,
} from "./datasets/index.js";
export { labelHistogram, partition, type PartitionSpec } from "./partition/index.js";
export { MODEL_KINDS, type ModelKind, type ParamSpec } from "./models/spec.js";
export {
  forward,
  modelLabel,
  parameterCount,
  paramSpecs,
  resolveModel,
  type ModelDef,
  type ModelRef,
  type ResolvedModel,
} from "./models/model-ref.js";
export {
  buildLayersTopology,
  LAYERS_ALLOW_LIST,
  ModelTopologyError,
} from "./models/layers-topology.js";
export { flattenWeights, initialWeights, loadFlatWeights, unflattenWeights } from "./weights.js";
export { deriveSeed, Rng } from "./rng.js";
export {
  selectBackend,
  type BackendName,
  type BackendPreference,
  type EngineInfo,
} from "./backend/select-backend.js";
export { EvaluationCache, type EvaluationCacheStats } from "./evaluation-cache.js";
export {
  EvalSet,
  evaluateWeights,
  trainLocal,
  trainingKernels,
  type EvalResult,
  type TrainProgress,
} from "./trainer.js";
export type { TrainingKernels } from "./simd/index.js";
export {
  TrainingPool,
  type DatasetSpec,
  type EvalSplit,
  type EvaluateRequest,
  type TrainingPoolOptions,
  type TrainResult,
  type TrainTask,
} from "./workers/worker-pool.js";

/**
 * The TensorFlow.js engine of this process (initialising it on first call, same choice as the
 * workers make): backend "tensorflow" | "wasm" | "cpu", threads, SIMD, custom kernels.
 */
export function engineInfo(): Promise<EngineInfo> {
  return selectBackend();
}

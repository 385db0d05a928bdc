/**
 * What the coordinator needs from the training engine (backend/src/engine). Kept as an interface so
 * the round loop reads as FL logic, not as worker plumbing.
 */
import type { ModelRef } from "./models/model-ref.js";

export type { ModelKind } from "./models/catalogue.js";
export type { ModelRef } from "./models/model-ref.js";

export interface TrainTask {
  model: ModelRef;
  weights: Float32Array;
  indices: Int32Array | number[];
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  proxMu?: number;
  onProgress?: (p: { epoch: number; batch: number; batches: number; loss: number }) => void;
}

export interface TrainOutcome {
  weights: Float32Array;
  numSamples: number;
  trainLoss: number;
  durationMs: number;
}

export interface EvalOutcome {
  loss: number;
  accuracy: number;
  n: number;
}

export interface TrainingEngine {
  train(task: TrainTask): Promise<TrainOutcome>;
  evaluate(
    model: ModelRef,
    weights: Float32Array,
    split: "test" | "validation",
  ): Promise<EvalOutcome>;
  evaluateMany(
    model: ModelRef,
    weights: Float32Array[],
    split: "test" | "validation",
  ): Promise<EvalOutcome[]>;
}

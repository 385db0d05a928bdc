/** Messages between TrainingPool (main thread) and its training workers. */
import type { EngineInfo, BackendPreference } from "../backend/select-backend.js";
import type { DatasetName, DatasetOptions } from "../datasets/types.js";
import type { ModelRef } from "../models/model-ref.js";
import type { EvalPart, EvalPartial, TrainProgress } from "../trainer.js";

/** Which dataset the workers load (each worker reads the package files itself). */
export interface DatasetSpec extends DatasetOptions {
  /** A packaged dataset, or "own" with `own` set. */
  name: DatasetName | "own";
}

/** An evaluation split: the dataset's test or validation split, or train-set indices. */
export type EvalSplit = "test" | "validation" | { indices: Int32Array | number[] };

export interface WorkerInit {
  dataset: DatasetSpec;
  backend?: BackendPreference;
}

export type ToWorker =
  | {
      type: "train";
      id: number;
      model: ModelRef;
      weights: Float32Array;
      indices: Int32Array;
      epochs: number;
      batchSize: number;
      learningRate: number;
      seed: number;
      proxMu?: number;
      progress: boolean;
    }
  | {
      type: "evaluate";
      id: number;
      model: ModelRef;
      weights: Float32Array[];
      split: "test" | "validation" | { indices: Int32Array };
      limit?: number;
      /** The share of the split's batches to evaluate (default all). */
      part?: EvalPart;
    }
  | { type: "memory"; id: number }
  | { type: "crash"; id: number };

export type FromWorker =
  | { type: "ready"; info: EngineInfo; trainSize: number }
  | { type: "fatal"; message: string }
  | { type: "progress"; id: number; progress: TrainProgress }
  | {
      type: "trained";
      id: number;
      weights: Float32Array;
      numSamples: number;
      trainLoss: number;
      durationMs: number;
    }
  | { type: "evaluated"; id: number; partials: EvalPartial[] }
  | { type: "memory"; id: number; numTensors: number; numBytes: number }
  | { type: "error"; id: number; message: string };

// What the re-execution audit reads from (artifacts and their references) and evaluates with.
import type { Hex } from "viem";
import type { ModelRef } from "../../engine/models/model-ref.js";

/** What a source answers for one hash: bytes (the audit checks them) or why it has none. */
export type SourceAnswer = { bytes: Uint8Array } | { missing: string };

/** One artifact reference of a run, as the coordinator lists them (GET /api/runs/:id/artifacts). */
export interface ArtifactReference {
  round: number;
  kind: string;
  nodeId: string | null;
  hash: Hex;
}

/** Where artifacts come from: the coordinator's URL, or a directory an auditor downloaded. */
export interface RecomputeSource {
  /** A name for reports (the URL or the directory). */
  readonly name: string;
  get(hash: Hex): Promise<SourceAnswer>;
  refs(runId: string): Promise<ArtifactReference[]>;
}

/** The run's validation split, decoded from its artifact. */
export interface Validation {
  x: Float32Array;
  y: Uint8Array;
  n: number;
}

/** Validation losses of many models of one kind, on one validation split. */
export interface ModelEvaluator {
  losses(models: Float32Array[]): Promise<number[]>;
  dispose(): void;
}

export type EvaluatorFactory = (model: ModelRef, validation: Validation) => Promise<ModelEvaluator>;

// The format of a run's spec document (pure: the dashboard's re-execution reads it too). The
// document holds everything a run's scores are computed from, committed on chain by its keccak256
// (ContributionLedger.registerRun's specHash) and published in the artifact store under that
// hash. With it and the round artifacts, anyone can re-execute every loss the coordinator
// recorded (npm run audit -- --recompute).
import type { Hex } from "viem";
import type { OwnDataSpecSchema, RewardSpec, RunConfig } from "../domain/index.js";
import type { ModelRef } from "../engine/models/model-ref.js";

export const RUN_SPEC_FORMAT = "fedledger.run-spec.v1";
/** The version of the built-in models' layer specs (engine/models/spec.ts); bump on change. */
export const MODEL_SPEC_VERSION = 1;
/** How the coordinator evaluates (engine/trainer.ts evaluateWeights). */
export const EVALUATION = {
  batchSize: 500,
  dtype: "float32",
  loss: "softmax cross-entropy summed over each batch, divided by the number of samples",
} as const;

export interface RunSpecDocument {
  format: typeof RUN_SPEC_FORMAT;
  runId: string;
  chainRunId: Hex;
  dataset: {
    id: string;
    trainLimit: number | null;
    /** keccak256 of the training labels (uint8), the partitioner's input. */
    trainLabelsDigest: Hex;
    /** An own dataset's resolved spec (classes, input shape, the table's encoding). */
    own?: OwnDataSpecSchema;
  };
  /** The coordinator's validation split: keccak256 of its bytes, stored as an artifact. */
  validation: { hash: Hex; samples: number; source: string };
  model: {
    kind: RunConfig["model"];
    /** A model sized for own data, or a declared topology: what every party builds. */
    ref?: ModelRef;
    parameterCount: number;
    specVersion: number;
  };
  engine: {
    name: "fedledger";
    version: string;
    tfjs: string;
    backend: string;
    evaluation: typeof EVALUATION;
  };
  /** The round-1 start model (an artifact). */
  initialModel: { hash: Hex; from: RunConfig["initialModel"] | null };
  reward: RewardSpec;
  /**
   * "plain": every scored update is published under its hash; "secure": only the aggregate exists
   * (each node is scored with it), so the audit recomputes from the round's model alone.
   */
  aggregation: RunConfig["aggregation"]["mode"];
  /**
   * Update compression (absent or null: raw float32 weights). With it, every update hash on chain
   * is keccak256 of the node's compressed payload (wire format v1), which decodes to a delta from
   * the round's start model.
   */
  compression?: RunConfig["compression"] | null;
  seed: number;
  partition: RunConfig["partition"];
}

/** Canonical JSON: keys sorted at every level, no whitespace (one document, one hash). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

export function decodeRunSpec(bytes: Uint8Array): RunSpecDocument {
  const doc = JSON.parse(new TextDecoder().decode(bytes)) as RunSpecDocument;
  doc.aggregation ??= "plain";
  if (doc.format !== RUN_SPEC_FORMAT) throw new Error(`not a run spec document (${String(doc.format)})`);
  return doc;
}

/** The validation split's bytes as stored: [n:u32][x: n*sample size float32][y: n uint8]. */
export function encodeValidation(x: Float32Array, y: Uint8Array): Uint8Array {
  const n = y.length;
  const out = new Uint8Array(4 + x.byteLength + n);
  new DataView(out.buffer).setUint32(0, n, true);
  out.set(new Uint8Array(x.buffer, x.byteOffset, x.byteLength), 4);
  out.set(y, 4 + x.byteLength);
  return out;
}

export function decodeValidation(bytes: Uint8Array): { x: Float32Array; y: Uint8Array; n: number } {
  const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true);
  const xBytes = (bytes.byteLength - 4 - n) as number;
  if (xBytes <= 0 || xBytes % 4 !== 0) throw new Error("malformed validation artifact");
  const x = new Float32Array(bytes.slice(4, 4 + xBytes).buffer);
  const y = bytes.slice(4 + xBytes);
  return { x, y, n };
}

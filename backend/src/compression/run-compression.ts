// A run's compression as the round pipeline carries it: the settings, the model's tensor sizes
// (per-tensor scales), and each round's download encoded once for all its nodes.
import { usesCompression, type CompressionSpec } from "../domain/compression.js";
import type { ModelRef } from "../engine/models/model-ref.js";
import { paramSpecs } from "../engine/models/model-ref.js";
import { encodeDownload, rawBytes } from "./update-compression.js";
import type { TensorSizes } from "./vector-codec.js";

export interface RunCompression {
  spec: CompressionSpec;
  tensors: TensorSizes;
  /**
   * Secure aggregation: nodes upload no payload; their quantised integers go into the masking
   * ring (SecAggConfig.bits) instead. Downloads are compressed as usual.
   */
  uploadInRing: boolean;
}

/** What a node is handed with its task when its run compresses. */
export interface NodeCompression extends RunCompression {
  /** The round's global model in the wire format (null: raw float32, download not compressed). */
  download: Uint8Array | null;
}

/** The model's tensors' sizes in flat order. */
export function tensorSizes(model: ModelRef): number[] {
  return paramSpecs(model).map((p) => p.shape.reduce((a, b) => a * b, 1));
}

/** The run's compression, or undefined when its updates travel as raw float32 weights. */
export function runCompression(
  spec: CompressionSpec | undefined,
  model: ModelRef,
  secure: boolean,
): RunCompression | undefined {
  return usesCompression(spec)
    ? { spec, tensors: tensorSizes(model), uploadInRing: secure }
    : undefined;
}

/** The round's download, encoded once (nearest rounding: anyone can re-encode it to check). */
export function roundDownload(c: RunCompression, global: Float32Array): NodeCompression {
  return {
    ...c,
    download:
      c.spec.download.quantise === "none"
        ? null
        : encodeDownload(global, c.spec.download, c.tensors).bytes,
  };
}

/** Bytes one node downloads this round. */
export function downloadBytes(c: NodeCompression | undefined, parameterCount: number): number {
  return c?.download?.byteLength ?? rawBytes(parameterCount);
}

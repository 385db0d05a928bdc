// A run's compression as both ends apply it: the coordinator encodes the global model once per
// round for every node's download and decodes each upload; a node (simulated or agent, the same
// code) decodes its download, trains from it and uploads its compressed delta. The pipeline on a
// node is: train -> delta from the downloaded model -> DP clip and noise (when the run has DP) ->
// add the error-feedback residual (top-k) -> top-k -> quantise -> hash and sign the bytes.
import type {
  CompressionSpec,
  DownloadCompression,
  UploadCompression,
} from "../domain/compression.js";
import { Rng } from "../engine/rng.js";
import { PayloadError } from "./payload-format.js";
import { encodeVector, decodeVector, type TensorSizes, type VectorCoding } from "./vector-codec.js";

const uploadCoding = (u: UploadCompression): VectorCoding => ({
  content: "delta",
  quantise: u.quantise,
  scale: u.scale,
  chunkSize: u.chunkSize,
  topK: u.topK,
});
const downloadCoding = (d: DownloadCompression): VectorCoding => ({
  content: "weights",
  quantise: d.quantise,
  scale: d.scale,
  chunkSize: d.chunkSize,
});

/**
 * Error feedback for top-k (Stich et al. 2018; Karimireddy et al. 2019): what a node did not
 * send stays here and is added to its next delta, so nothing it learned is dropped, only delayed.
 * One per node and run, in the node's memory (a node that restarts starts from zero).
 */
export class ErrorFeedback {
  private residual: Float32Array | undefined;

  /** delta + residual (a new array; the residual is left as is until `keep`). */
  corrected(delta: Float32Array): Float32Array {
    const out = Float32Array.from(delta);
    const r = this.residual;
    if (r && r.length === out.length) for (let i = 0; i < out.length; i++) out[i] = out[i]! + r[i]!;
    return out;
  }

  /** What was meant minus what the coordinator will decode: carried to the next round. */
  keep(corrected: Float32Array, sent: Float32Array): void {
    const r = new Float32Array(corrected.length);
    for (let i = 0; i < r.length; i++) r[i] = corrected[i]! - sent[i]!;
    this.residual = r;
  }

  /** L2 norm of what is waiting to be sent. */
  norm(): number {
    let s = 0;
    for (const v of this.residual ?? []) s += v * v;
    return Math.sqrt(s);
  }
}

/**
 * The stochastic rounding's uniforms, seeded by the task's seed (the stream bench:compress
 * measured). A node may use any randomness here: the coordinator decodes the payload, it never
 * re-encodes an upload.
 */
function rngFor(seed: number): () => number {
  const rng = new Rng(seed);
  return () => rng.next();
}

/** An update that cannot be compressed: its delta has non-finite values (training diverged). */
export class NonFiniteUpdate extends Error {}

/** The compressed upload: its bytes (what is hashed, signed, sent and stored). */
export interface CompressedUpload {
  bytes: Uint8Array;
  /** The delta the coordinator will decode from the bytes. */
  sent: Float32Array;
}

/**
 * A node's upload: the delta `trained - start` (start: the model it decoded from its download)
 * with the error feedback's residual when top-k, compressed with stochastic rounding from `seed`.
 */
export function compressUpload(
  start: Float32Array,
  trained: Float32Array,
  spec: UploadCompression,
  tensors: TensorSizes,
  feedback: ErrorFeedback,
  seed: number,
): CompressedUpload {
  const delta = new Float32Array(trained.length);
  for (let i = 0; i < delta.length; i++) delta[i] = trained[i]! - start[i]!;
  // Checked before the residual is touched: a diverged round must not poison later ones.
  const bad = delta.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0)
    throw new NonFiniteUpdate(
      `the update is not finite at parameter ${bad} (${delta[bad]}): training diverged, nothing was sent`,
    );
  const x = spec.topK === undefined ? delta : feedback.corrected(delta);
  const { bytes, decoded } = encodeVector(x, uploadCoding(spec), tensors, {
    kind: "stochastic",
    random: rngFor(seed),
  });
  if (spec.topK !== undefined) feedback.keep(x, decoded);
  return { bytes, sent: decoded };
}

/**
 * The coordinator's side: the weights an upload stands for, `start + decoded delta`, with `start`
 * the coordinator's full-precision model of the round. Throws PayloadError with the reason.
 */
export function decodeUpload(
  bytes: Uint8Array,
  spec: UploadCompression,
  start: Float32Array,
  tensors: TensorSizes,
): Float32Array {
  const delta = decodeVector(bytes, uploadCoding(spec), start.length, tensors);
  const out = new Float32Array(start.length);
  for (let i = 0; i < out.length; i++) out[i] = start[i]! + delta[i]!;
  return out;
}

/**
 * Why an upload's payload is not what the run's settings produce for this model (undefined: it
 * is): the checks of decodeUpload that need no start model, for an early answer to the sender.
 */
export function payloadProblem(
  bytes: Uint8Array,
  spec: UploadCompression,
  tensors: TensorSizes,
): string | undefined {
  try {
    decodeVector(
      bytes,
      uploadCoding(spec),
      tensors.reduce((a, b) => a + b, 0),
      tensors,
    );
    return undefined;
  } catch (err) {
    if (err instanceof PayloadError) return err.message;
    throw err;
  }
}

/** The round's download: the global model encoded once (nearest rounding: reproducible). */
export function encodeDownload(
  global: Float32Array,
  spec: DownloadCompression,
  tensors: TensorSizes,
): { bytes: Uint8Array; decoded: Float32Array } {
  return encodeVector(global, downloadCoding(spec), tensors, { kind: "nearest" });
}

/** A node's side: the model it trains from. Throws PayloadError with the reason. */
export function decodeDownload(
  bytes: Uint8Array,
  spec: DownloadCompression,
  n: number,
  tensors: TensorSizes,
): Float32Array {
  return decodeVector(bytes, downloadCoding(spec), n, tensors);
}

/** Bytes a raw float32 model of n parameters takes: what compression ratios are relative to. */
export const rawBytes = (n: number): number => 4 * n;

export type { CompressionSpec };

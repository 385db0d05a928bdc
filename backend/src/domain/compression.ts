// A run's update compression: what nodes upload (their model delta) and what they download (the
// global model), in the wire format of backend/src/compression/payload-format.ts. The same codec
// runs in simulated nodes and in node agents, so a simulation moves the bytes a deployment would.
import { z } from "zod";
import { param } from "../catalogue/entry.js";

/** Stochastic (uploads) or nearest (downloads) rounding to signed 8- or 4-bit integers. */
export const Quantisation = z.enum(["none", "int8", "int4"]);
export type Quantisation = z.infer<typeof Quantisation>;

const quantise = Quantisation.default("none").meta(
  param("Quantisation", "none (float32), int8 or int4 with a float32 scale per group"),
);
const scale = z
  .enum(["tensor", "chunk"])
  .default("chunk")
  .meta(param("Scale groups", "one scale per parameter tensor, or per chunk of values"));
const chunkSize = z
  .number()
  .int()
  .min(16)
  .max(1 << 20)
  .default(256)
  .meta(param("Chunk size", "values per scale with scale chunk"));

export const UploadCompression = z
  .object({
    quantise,
    scale,
    chunkSize,
    /**
     * Top-k sparsification: the fraction of the delta's coordinates sent (the largest in
     * magnitude), with error feedback: what is not sent stays in the node's residual and is added
     * to its next delta. Absent: dense.
     */
    topK: z
      .number()
      .gt(0)
      .lt(1)
      .optional()
      .meta(param("Top-k fraction", "share of coordinates sent, the rest kept as residual")),
  })
  .strict();
export type UploadCompression = z.output<typeof UploadCompression>;

export const DownloadCompression = z.object({ quantise, scale, chunkSize }).strict();
export type DownloadCompression = z.output<typeof DownloadCompression>;

/**
 * Uploads carry the node's delta from the model it downloaded (the coordinator adds it to its
 * full-precision global model); downloads carry the global model. Absent, or both "none" without
 * top-k: updates travel as raw float32 weights, as before compression existed.
 */
export const CompressionSpec = z
  .object({
    upload: UploadCompression.default(UploadCompression.parse({})),
    download: DownloadCompression.default(DownloadCompression.parse({})),
  })
  .strict();
export type CompressionSpec = z.output<typeof CompressionSpec>;

/** Whether a run uses the compressed wire format at all (else raw float32 weights). */
export function usesCompression(c: CompressionSpec | undefined): c is CompressionSpec {
  return (
    c !== undefined &&
    (c.upload.quantise !== "none" || c.upload.topK !== undefined || c.download.quantise !== "none")
  );
}

/** Values a top-k upload of an n-parameter model carries: ceil(topK x n), at least 1. */
export function topKCount(topK: number, n: number): number {
  return Math.max(1, Math.min(n, Math.ceil(topK * n)));
}

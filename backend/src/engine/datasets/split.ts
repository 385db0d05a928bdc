/**
 * One split of a dataset: samples flattened row-major (n x sample size: 784 for MNIST, h*w*c for
 * images, the encoded feature count for tables), image values scaled to 0..1.
 */
export interface Split {
  x: Float32Array;
  y: Uint8Array;
  n: number;
}
/** Values per sample of a split (its x holds exactly n samples). */
export function sampleSizeOf(s: Split): number {
  return s.n > 0 ? s.x.length / s.n : 0;
}

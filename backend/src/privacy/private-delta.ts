import { clipUpdate } from "./l2-clip.js";
import { addGaussianNoise, type NormalSource } from "./gaussian-noise.js";
import { localNoiseStd } from "./noise-calibration.js";

/**
 * What a DP-FedAvg client does to its delta before sending it: clip to C, then (local noise)
 * add N(0, (z C)^2 I). With noiseMultiplier 0 it only clips (central noise is then the
 * coordinator's job: `addGaussianNoise(sum, z * C, rng)` once on the sum).
 */
export interface PrivateDelta {
  /** clip(delta, C) + noise: what leaves the node. */
  delta: Float32Array;
  /** ||delta|| before clipping (stays on the node: it is not private). */
  norm: number;
  wasClipped: boolean;
  /** Std of the noise added per coordinate: z * C. */
  noiseStd: number;
}

export function privatizeDelta(
  delta: Float32Array,
  params: { clipNorm: number; noiseMultiplier: number },
  rng: NormalSource,
): PrivateDelta {
  const noiseStd = localNoiseStd(params.noiseMultiplier, params.clipNorm);
  const { clipped, norm, wasClipped } = clipUpdate(delta, params.clipNorm);
  return { delta: addGaussianNoise(clipped, noiseStd, rng), norm, wasClipped, noiseStd };
}

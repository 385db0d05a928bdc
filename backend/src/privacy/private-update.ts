import {
  applyDelta,
  modelDelta,
  privatizeDelta,
  secureNormalSource,
  type NormalSource,
} from "./index.js";

/** The privacy parameters a node is given with its round task. */
export interface UpdatePrivacy {
  clipNorm: number;
  noiseMultiplier: number;
}

export interface PrivateUpdate {
  /** start + clip(trained - start, C) + N(0, (z C)^2): what the node signs and sends. */
  weights: Float32Array;
  /** Whether the delta's norm was within C (the bit adaptive clipping counts). */
  unclipped: boolean;
}

/**
 * The node-side step of DP-FedAvg: clip the local model delta to L2 norm C and add Gaussian noise
 * of std z C, before the update is hashed and signed, so nothing unnoised leaves the node.
 * Remote agents draw the noise from the OS's CSPRNG; simulated nodes may pass a seeded source so
 * an experiment is reproducible (their data is on the coordinator's machine anyway).
 */
export function privatizeUpdate(
  start: Float32Array,
  trained: Float32Array,
  privacy: UpdatePrivacy,
  rng: NormalSource = secureNormalSource(),
): PrivateUpdate {
  const p = privatizeDelta(modelDelta(trained, start), privacy, rng);
  return { weights: applyDelta(start, p.delta), unclipped: !p.wasClipped };
}

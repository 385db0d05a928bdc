/**
 * Differential privacy for FedLedger's rounds: DP-FedAvg's clip + Gaussian noise on model deltas
 * (local or central noise), adaptive clipping, and a Rényi DP accountant for the sampled Gaussian
 * mechanism. Pure functions and small classes with JSON state; nothing here touches the engine's
 * training or the store.
 */
export { l2Norm, clipUpdate, type ClippedUpdate } from "./l2-clip.js";
export { modelDelta, applyDelta, meanDelta } from "./model-delta.js";
export {
  addGaussianNoise,
  seededNormalSource,
  secureNormalSource,
  type NormalSource,
} from "./gaussian-noise.js";
export {
  localNoiseStd,
  aggregateNoiseMultiplier,
  localNoiseMultiplierFor,
  localAccountingSteps,
} from "./noise-calibration.js";
export { privatizeDelta, type PrivateDelta } from "./private-delta.js";
export {
  AdaptiveClipNorm,
  deltaNoiseMultiplierWithAdaptiveClipping,
  type AdaptiveClipNormOptions,
  type AdaptiveClipNormState,
  type ClipNormUpdate,
} from "./adaptive-clip-norm.js";
export { DEFAULT_RDP_ORDERS, OPACUS_DEFAULT_ALPHAS, TF_PRIVACY_RDP_ORDERS } from "./rdp-orders.js";
export { sampledGaussianRdp, sampledGaussianRdpCurve } from "./rdp-sampled-gaussian.js";
export { epsilonFromRdp, type EpsilonAtOrder, type RdpConversion } from "./rdp-to-epsilon.js";
export {
  RdpAccountant,
  type RdpAccountantEntry,
  type RdpAccountantState,
} from "./rdp-accountant.js";

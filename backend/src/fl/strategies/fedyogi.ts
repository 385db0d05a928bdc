import { adaptiveParams, AdaptiveServerOptimizer } from "./server-optimizer.js";
import { defineStrategy } from "./strategy.js";

export const fedyogi = defineStrategy({
  id: "fedyogi",
  label: "FedYogi",
  help: "Yogi on the server (Reddi et al. 2021): like FedAdam with a second moment that grows more carefully.",
  params: adaptiveParams,
  needsIndividualUpdates: false,
  create: (p) =>
    new AdaptiveServerOptimizer("fedyogi", p, (v, d2, b2) => v - (1 - b2) * d2 * Math.sign(v - d2)),
});

import { adaptiveParams, AdaptiveServerOptimizer } from "./server-optimizer.js";
import { defineStrategy } from "./strategy.js";

export const fedadam = defineStrategy({
  id: "fedadam",
  label: "FedAdam",
  help: "Adam on the server (Reddi et al. 2021): the averaged update is a pseudo-gradient with per-coordinate adaptive steps.",
  params: adaptiveParams,
  needsIndividualUpdates: false,
  create: (p) => new AdaptiveServerOptimizer("fedadam", p, (v, d2, b2) => b2 * v + (1 - b2) * d2),
});

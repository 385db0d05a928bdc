import { z } from "zod";
import { param } from "../../catalogue/entry.js";
import { adaptiveParams, AdaptiveServerOptimizer } from "./server-optimizer.js";
import { defineStrategy } from "./strategy.js";

export const fedadagrad = defineStrategy({
  id: "fedadagrad",
  label: "FedAdagrad",
  help: "Adagrad on the server (Reddi et al. 2021): per-coordinate steps shrink with the summed squared updates.",
  params: {
    ...adaptiveParams,
    beta1: z
      .number()
      .min(0)
      .max(0.9999)
      .default(0)
      .meta(param("β₁", "Decay of the first moment; 0 is plain Adagrad.")),
  },
  needsIndividualUpdates: false,
  create: (p) => new AdaptiveServerOptimizer("fedadagrad", p, (v, d2) => v + d2),
});

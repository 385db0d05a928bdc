import { z } from "zod";
import { param } from "../../catalogue/entry.js";
import { FedAvg } from "./fedavg.js";
import { defineStrategy, type FitConfig } from "./strategy.js";

/** FedProx (Li et al. 2020): FedAvg's aggregate, local training with a proximal term mu. */
export class FedProx extends FedAvg {
  override readonly name = "fedprox";
  constructor(private readonly mu: number) {
    super();
  }
  override configureFit(): FitConfig {
    return { proxMu: this.mu };
  }
}

export const fedprox = defineStrategy({
  id: "fedprox",
  label: "FedProx",
  help: "FedAvg's aggregate with a proximal term in local training (Li et al. 2020) that keeps nodes near the global model on non-IID data.",
  params: {
    mu: z
      .number()
      .min(0)
      .max(100)
      .default(0.01)
      .meta(param("μ", "Weight of the proximal term ‖w − w_global‖²/2 in each node's loss.")),
  },
  needsIndividualUpdates: false,
  create: (p) => new FedProx(p.mu),
});

import type { z } from "zod";
import type { StrategySpec } from "../../api/schemas.js";
import { FedAvg, FedProx } from "./fedavg.js";
import { Krum, Median, TrimmedMean } from "./robust.js";
import { FedAvgM, fedAdagrad, fedAdam, fedYogi } from "./server-optimizers.js";
import type { Strategy } from "./strategy.js";

export function createStrategy(spec: z.output<typeof StrategySpec>): Strategy {
  switch (spec.name) {
    case "fedavg":
      return new FedAvg();
    case "fedprox":
      return new FedProx(spec.mu);
    case "fedavgm":
      return new FedAvgM(spec.serverLr, spec.momentum);
    case "fedadam":
      return fedAdam(spec);
    case "fedyogi":
      return fedYogi(spec);
    case "fedadagrad":
      return fedAdagrad(spec);
    case "krum":
      return new Krum(spec.f, spec.m);
    case "median":
      return new Median();
    case "trimmed-mean":
      return new TrimmedMean(spec.beta);
  }
}

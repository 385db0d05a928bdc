import { z } from "zod";
import { param } from "../../catalogue/entry.js";
import { ServerOptimizer } from "./server-optimizer.js";
import { defineStrategy } from "./strategy.js";

/** FedAvgM (Hsu et al. 2019): server-side momentum on the averaged update. */
export class FedAvgM extends ServerOptimizer {
  readonly name = "fedavgm";
  constructor(
    private readonly serverLr: number,
    private readonly momentum: number,
  ) {
    super();
  }
  protected step(global: Float32Array, delta: Float32Array): Float32Array {
    const m = this.m!;
    const out = new Float32Array(global.length);
    for (let j = 0; j < global.length; j++) {
      m[j] = this.momentum * m[j]! + delta[j]!;
      out[j] = global[j]! + this.serverLr * m[j]!;
    }
    return out;
  }
}

export const fedavgm = defineStrategy({
  id: "fedavgm",
  label: "FedAvgM",
  help: "FedAvg with server-side momentum (Hsu et al. 2019): steadier progress on non-IID data.",
  params: {
    serverLr: z
      .number()
      .positive()
      .max(10)
      .default(1)
      .meta(
        param("Server learning rate", "Step size applied to the momentum of averaged updates."),
      ),
    momentum: z
      .number()
      .min(0)
      .max(0.999)
      .default(0.9)
      .meta(param("Momentum", "Server momentum β: how much of the last steps carries over.")),
  },
  needsIndividualUpdates: false,
  create: (p) => new FedAvgM(p.serverLr, p.momentum),
});

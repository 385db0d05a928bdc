import {
  defineStrategy,
  weightedMean,
  type AggregateResult,
  type ClientUpdate,
  type FitConfig,
  type Strategy,
} from "./strategy.js";

/** FedAvg (McMahan et al. 2017): the sample-weighted mean of the nodes' models. */
export class FedAvg implements Strategy {
  readonly name: string = "fedavg";
  configureFit(): FitConfig {
    return {};
  }
  aggregate(_global: Float32Array, updates: readonly ClientUpdate[]): AggregateResult {
    return { weights: weightedMean(updates), excluded: [] };
  }
  applyMean(_global: Float32Array, mean: Float32Array): Float32Array {
    return mean;
  }
  saveState(): Float32Array[] | null {
    return null;
  }
  loadState(): void {}
}

export const fedavg = defineStrategy({
  id: "fedavg",
  label: "FedAvg",
  help: "Federated averaging (McMahan et al. 2017): the new model is the sample-weighted mean of the nodes' models.",
  params: {},
  needsIndividualUpdates: false,
  create: () => new FedAvg(),
});

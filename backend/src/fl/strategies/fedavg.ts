import {
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
  saveState(): Float32Array[] | null {
    return null;
  }
  loadState(): void {}
}

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

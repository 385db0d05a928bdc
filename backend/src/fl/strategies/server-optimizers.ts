import {
  weightedMean,
  type AggregateResult,
  type ClientUpdate,
  type FitConfig,
  type Strategy,
} from "./strategy.js";

/**
 * Strategies that treat the averaged update as a pseudo-gradient and apply a server optimizer
 * (Reddi et al. 2021, "Adaptive Federated Optimization"; Hsu et al. 2019 for FedAvgM).
 * delta = mean(w_i) - w; the new model is w + serverLr * step(delta).
 */
abstract class ServerOptimizer implements Strategy {
  abstract readonly name: string;
  protected m: Float32Array | undefined;
  protected v: Float32Array | undefined;

  configureFit(): FitConfig {
    return {};
  }

  aggregate(global: Float32Array, updates: readonly ClientUpdate[]): AggregateResult {
    const mean = weightedMean(updates);
    const delta = new Float32Array(global.length);
    for (let j = 0; j < global.length; j++) delta[j] = mean[j]! - global[j]!;
    this.m ??= new Float32Array(global.length);
    this.v ??= this.initialV(global.length);
    return { weights: this.step(global, delta), excluded: [] };
  }

  protected initialV(dim: number): Float32Array {
    return new Float32Array(dim);
  }

  protected abstract step(global: Float32Array, delta: Float32Array): Float32Array;

  saveState(): Float32Array[] | null {
    return this.m && this.v ? [this.m, this.v] : null;
  }

  loadState(state: Float32Array[]): void {
    [this.m, this.v] = state;
  }
}

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

export interface AdaptiveParams {
  serverLr: number;
  beta1: number;
  beta2: number;
  tau: number;
}

type SecondMoment = (v: number, d2: number, beta2: number) => number;

class AdaptiveServerOptimizer extends ServerOptimizer {
  constructor(
    readonly name: string,
    private readonly p: AdaptiveParams,
    private readonly secondMoment: SecondMoment,
  ) {
    super();
  }
  protected override initialV(dim: number): Float32Array {
    // Reddi et al. initialise v to tau^2 so the first steps are not huge.
    return new Float32Array(dim).fill(this.p.tau * this.p.tau);
  }
  protected step(global: Float32Array, delta: Float32Array): Float32Array {
    const { serverLr, beta1, beta2, tau } = this.p;
    const m = this.m!;
    const v = this.v!;
    const out = new Float32Array(global.length);
    for (let j = 0; j < global.length; j++) {
      const d = delta[j]!;
      m[j] = beta1 * m[j]! + (1 - beta1) * d;
      v[j] = this.secondMoment(v[j]!, d * d, beta2);
      out[j] = global[j]! + (serverLr * m[j]!) / (Math.sqrt(v[j]!) + tau);
    }
    return out;
  }
}

export const fedAdam = (p: AdaptiveParams) =>
  new AdaptiveServerOptimizer("fedadam", p, (v, d2, b2) => b2 * v + (1 - b2) * d2);
export const fedYogi = (p: AdaptiveParams) =>
  new AdaptiveServerOptimizer("fedyogi", p, (v, d2, b2) => v - (1 - b2) * d2 * Math.sign(v - d2));
export const fedAdagrad = (p: AdaptiveParams) =>
  new AdaptiveServerOptimizer("fedadagrad", p, (v, d2) => v + d2);

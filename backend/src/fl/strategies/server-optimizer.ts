import { z } from "zod";
import { param } from "../../catalogue/entry.js";
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
export abstract class ServerOptimizer implements Strategy {
  abstract readonly name: string;
  protected m: Float32Array | undefined;
  protected v: Float32Array | undefined;

  configureFit(): FitConfig {
    return {};
  }

  aggregate(global: Float32Array, updates: readonly ClientUpdate[]): AggregateResult {
    return { weights: this.applyMean(global, weightedMean(updates)), excluded: [] };
  }

  applyMean(global: Float32Array, mean: Float32Array): Float32Array {
    const delta = new Float32Array(global.length);
    for (let j = 0; j < global.length; j++) delta[j] = mean[j]! - global[j]!;
    this.m ??= new Float32Array(global.length);
    this.v ??= this.initialV(global.length);
    return this.step(global, delta);
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

export interface AdaptiveParams {
  serverLr: number;
  beta1: number;
  beta2: number;
  tau: number;
}

type SecondMoment = (v: number, d2: number, beta2: number) => number;

/** FedAdam, FedYogi and FedAdagrad differ only in how they update the second moment v. */
export class AdaptiveServerOptimizer extends ServerOptimizer {
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

/** The parameters FedAdam, FedYogi and FedAdagrad share (Reddi et al. 2021's names). */
export const adaptiveParams = {
  serverLr: z
    .number()
    .positive()
    .max(10)
    .default(0.01)
    .meta(param("Server learning rate η", "Step size of the server optimizer.")),
  beta1: z
    .number()
    .min(0)
    .max(0.9999)
    .default(0.9)
    .meta(param("β₁", "Decay of the first moment (momentum) of the averaged update.")),
  beta2: z
    .number()
    .min(0)
    .max(0.9999)
    .default(0.99)
    .meta(param("β₂", "Decay of the second moment.")),
  tau: z
    .number()
    .positive()
    .max(1)
    .default(1e-3)
    .meta(param("τ", "Adaptivity: added to √v; larger τ means smaller per-coordinate scaling.")),
};

import type { z } from "zod";
import { variantSchema, type EntryInfo } from "../../catalogue/entry.js";

/**
 * A federated learning strategy, in the style of Flower's Strategy: it tells nodes how to train
 * (configureFit) and turns the round's accepted updates into the next global model (aggregate).
 * Nodes never see the strategy. Weights are one flat Float32Array in the model's fixed layer order.
 */
export interface ClientUpdate {
  nodeId: string;
  weights: Float32Array;
  numSamples: number;
}

export interface Exclusion {
  nodeId: string;
  reason: string;
}

export interface AggregateResult {
  weights: Float32Array;
  /** Updates the strategy left out of the aggregate (robust strategies), with why. */
  excluded: Exclusion[];
}

export interface FitConfig {
  /** FedProx proximal term weight; 0 or absent for plain local SGD. */
  proxMu?: number;
}

export interface Strategy {
  readonly name: string;
  configureFit(): FitConfig;
  aggregate(global: Float32Array, updates: readonly ClientUpdate[]): AggregateResult;
  /**
   * The server's step when only the round's mean model is known (secure aggregation reveals just
   * the sum): FedAvg takes the mean, server optimizers step on mean - global. Strategies that need
   * every update (needsIndividualUpdates) are never given a mean alone.
   */
  applyMean(global: Float32Array, mean: Float32Array): Float32Array;
  /** Server-side optimizer state for checkpoints (null when stateless). */
  saveState(): Float32Array[] | null;
  loadState(state: Float32Array[]): void;
}

/** Sample-weighted mean of the updates' weights (FedAvg's aggregate). */
export function weightedMean(updates: readonly ClientUpdate[]): Float32Array {
  if (updates.length === 0) throw new Error("weightedMean needs at least one update");
  const dim = updates[0]!.weights.length;
  const total = updates.reduce((s, u) => s + u.numSamples, 0);
  const acc = new Float64Array(dim);
  for (const u of updates) {
    const w = total > 0 ? u.numSamples / total : 1 / updates.length;
    const x = u.weights;
    for (let j = 0; j < dim; j++) acc[j]! += w * x[j]!;
  }
  // A plain loop: Float32Array.from(acc) goes through the iterator protocol, about half again
  // as slow for the CNN's 1.7M parameters (this runs on the coordinator's event loop).
  const out = new Float32Array(dim);
  for (let j = 0; j < dim; j++) out[j] = acc[j]!;
  return out;
}

/** A strategy's catalogue entry: its id, label, help, parameters and how to build it. */
export interface StrategyDefinition<
  Id extends string = string,
  Shape extends z.ZodRawShape = z.ZodRawShape,
> extends EntryInfo<Id> {
  readonly params: Shape;
  /**
   * Needs every node's own update (robust strategies compare them): such a strategy cannot run on
   * secure aggregation, which reveals only the sum.
   */
  readonly needsIndividualUpdates: boolean;
  /** Cross-field rule: why these parameters cannot work with this many participants per round. */
  readonly checkParticipants?: (
    params: z.output<z.ZodObject<Shape>>,
    perRound: number,
  ) => string | undefined;
  readonly create: (params: z.output<z.ZodObject<Shape>>) => Strategy;
}

/** Defines a strategy: the entry plus its request schema `{ name: id, ...params }`. */
export function defineStrategy<const Id extends string, Shape extends z.ZodRawShape>(
  def: StrategyDefinition<Id, Shape>,
) {
  return { ...def, schema: variantSchema("name", def, def.params) };
}

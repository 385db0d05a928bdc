// The within-round cooperative game the Shapley policies value: a coalition S of the round's updates
// is worth v(S) = L(start) - L(FedAvg of S), the validation-loss drop of their sample-weighted mean
// (v of the empty coalition is 0: it leaves the start model). Coalitions are bit masks over the
// round's updates (bit i = update i), so rounds are limited to 30 updates here and to far fewer by
// the policies that enumerate subsets.
import type { ClientUpdate } from "../fl/strategies/strategy.js";
import type { ValidationLosses } from "./policy-definition.js";

/** How many bytes of models one evaluate() call may be given (the engine copies each). */
const BATCH_BYTES = 64 * 2 ** 20;

/** Validation losses of many models, given to `evaluate` a bounded number of bytes at a time. */
export async function evaluateInBatches(
  evaluate: ValidationLosses,
  models: readonly Float32Array[],
): Promise<number[]> {
  const batch = Math.max(2, Math.floor(BATCH_BYTES / (4 * Math.max(1, models[0]?.length ?? 1))));
  const out: number[] = [];
  for (let k = 0; k < models.length; k += batch)
    out.push(...(await evaluate(models.slice(k, k + batch))));
  return out;
}

export class SubsetGame {
  readonly n: number;
  /** Models evaluated so far (each coalition at most once). */
  evaluations = 0;
  private readonly lossOf = new Map<number, number>();

  constructor(
    private readonly start: Float32Array,
    private readonly updates: readonly ClientUpdate[],
    private readonly evaluate: ValidationLosses,
  ) {
    this.n = updates.length;
    if (this.n > 30) throw new RangeError(`a subset game takes at most 30 updates, got ${this.n}`);
  }

  get full(): number {
    return 2 ** this.n - 1;
  }

  /** The FedAvg aggregate of the coalition (the start model when it is empty). */
  aggregate(mask: number): Float32Array {
    const members = this.members(mask);
    if (members.length === 0) return this.start;
    const total = members.reduce((s, i) => s + this.updates[i]!.numSamples, 0);
    const out = new Float32Array(this.start.length);
    for (const i of members) {
      const w = total > 0 ? this.updates[i]!.numSamples / total : 1 / members.length;
      const x = this.updates[i]!.weights;
      for (let j = 0; j < out.length; j++) out[j]! += w * x[j]!;
    }
    return out;
  }

  members(mask: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.n; i++) if (mask & (1 << i)) out.push(i);
    return out;
  }

  /** Validation losses of the coalitions' aggregates: measured once each, in batches. */
  async losses(masks: readonly number[]): Promise<number[]> {
    const todo = [...new Set(masks.filter((m) => !this.lossOf.has(m)))];
    // Aggregates are built one batch at a time, so 2^n of them never sit in memory together.
    const batch = Math.max(2, Math.floor(BATCH_BYTES / (4 * Math.max(1, this.start.length))));
    for (let k = 0; k < todo.length; k += batch) {
      const chunk = todo.slice(k, k + batch);
      const losses = await this.evaluate(chunk.map((m) => this.aggregate(m)));
      chunk.forEach((m, i) => this.lossOf.set(m, losses[i]!));
      this.evaluations += chunk.length;
    }
    return masks.map((m) => this.lossOf.get(m)!);
  }

  /** A coalition's value v(S) = L(start) - L(S); its loss and the start's must be measured. */
  value(mask: number): number {
    return this.lossOf.get(0)! - this.lossOf.get(mask)!;
  }

  known(mask: number): boolean {
    return this.lossOf.has(mask);
  }
}

/**
 * Exact Shapley values of a game given on all 2^n coalitions (values[mask], values[0] = 0):
 * phi_i = sum over S without i of |S|! (n - |S| - 1)! / n! * (v(S + i) - v(S)). O(n 2^n).
 * Efficiency holds: the values add up to v(everyone).
 */
export function shapleyFromTable(values: ArrayLike<number>, n: number): Float64Array {
  const weight = new Float64Array(n);
  // |S|! (n-|S|-1)! / n! = 1 / (n * C(n-1, |S|))
  let binom = 1;
  for (let s = 0; s < n; s++) {
    weight[s] = 1 / (n * binom);
    binom = (binom * (n - 1 - s)) / (s + 1);
  }
  const phi = new Float64Array(n);
  const size = new Uint8Array(2 ** n);
  for (let m = 1; m < size.length; m++) size[m] = size[m >> 1]! + (m & 1);
  for (let m = 0; m < size.length; m++) {
    for (let i = 0; i < n; i++) {
      const bit = 1 << i;
      if (m & bit) continue;
      phi[i]! += weight[size[m]!]! * (values[m | bit]! - values[m]!);
    }
  }
  return phi;
}

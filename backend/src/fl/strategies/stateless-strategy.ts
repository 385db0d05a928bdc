import type { AggregateResult, ClientUpdate, FitConfig, Strategy } from "./strategy.js";

/** A strategy without server state: its aggregate depends on the round's updates only. */
export abstract class StatelessStrategy implements Strategy {
  abstract readonly name: string;
  abstract aggregate(global: Float32Array, updates: readonly ClientUpdate[]): AggregateResult;
  /** Robust strategies compare updates; given only a mean there is nothing to compare. */
  applyMean(_global: Float32Array, mean: Float32Array): Float32Array {
    return mean;
  }
  configureFit(): FitConfig {
    return {};
  }
  saveState(): Float32Array[] | null {
    return null;
  }
  loadState(): void {}
}

/** Sorts a small column in place (insertion sort: n is the number of updates in a round). */
function sortColumn(col: Float64Array): void {
  for (let i = 1; i < col.length; i++) {
    const x = col[i]!;
    let k = i - 1;
    while (k >= 0 && col[k]! > x) {
      col[k + 1] = col[k]!;
      k--;
    }
    col[k + 1] = x;
  }
}

/** Reduces each coordinate's sorted column of values (one per update) to one value. */
export function coordinatewise(
  updates: readonly ClientUpdate[],
  reduce: (sorted: Float64Array) => number,
): Float32Array {
  if (updates.length === 0) throw new Error("needs at least one update");
  const n = updates.length;
  const dim = updates[0]!.weights.length;
  const out = new Float32Array(dim);
  const col = new Float64Array(n);
  for (let j = 0; j < dim; j++) {
    for (let i = 0; i < n; i++) col[i] = updates[i]!.weights[j]!;
    sortColumn(col);
    out[j] = reduce(col);
  }
  return out;
}

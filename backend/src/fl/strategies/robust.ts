import {
  type AggregateResult,
  type ClientUpdate,
  type FitConfig,
  type Strategy,
  weightedMean,
} from "./strategy.js";

abstract class Stateless implements Strategy {
  abstract readonly name: string;
  abstract aggregate(global: Float32Array, updates: readonly ClientUpdate[]): AggregateResult;
  configureFit(): FitConfig {
    return {};
  }
  saveState(): Float32Array[] | null {
    return null;
  }
  loadState(): void {}
}

function squaredDistance(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) {
    const d = a[j]! - b[j]!;
    s += d * d;
  }
  return s;
}

/**
 * Krum and Multi-Krum (Blanchard et al. 2017): score each update by the summed squared distance to
 * its n - f - 2 nearest others; keep the m best-scored updates and average them.
 */
export class Krum extends Stateless {
  readonly name: string;
  constructor(
    private readonly f: number,
    private readonly m: number,
  ) {
    super();
    this.name = m > 1 ? "multi-krum" : "krum";
  }

  aggregate(_global: Float32Array, updates: readonly ClientUpdate[]): AggregateResult {
    const n = updates.length;
    if (n === 0) throw new Error("Krum needs at least one update");
    const neighbours = Math.max(1, n - this.f - 2);
    const dist: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    for (let i = 0; i < n; i++) {
      for (let k = i + 1; k < n; k++) {
        const d = squaredDistance(updates[i]!.weights, updates[k]!.weights);
        dist[i]![k] = d;
        dist[k]![i] = d;
      }
    }
    const scores = updates.map((_, i) => {
      const others = dist[i]!.filter((_, k) => k !== i).sort((a, b) => a - b);
      return others.slice(0, neighbours).reduce((s, d) => s + d, 0);
    });
    const order = scores.map((s, i) => ({ s, i })).sort((a, b) => a.s - b.s || a.i - b.i);
    const keep = Math.min(this.m, n);
    const selected = new Set(order.slice(0, keep).map((o) => o.i));
    const chosen = updates.filter((_, i) => selected.has(i));
    // Multi-Krum averages the selected updates uniformly, as in the paper.
    const weights = weightedMean(chosen.map((u) => ({ ...u, numSamples: 1 })));
    const cutoff = order[keep - 1]!.s;
    const excluded = updates
      .map((u, i) => ({ u, i }))
      .filter(({ i }) => !selected.has(i))
      .map(({ u, i }) => ({
        nodeId: u.nodeId,
        reason: `${this.name}: not selected (score ${scores[i]!.toExponential(3)} > cutoff ${cutoff.toExponential(3)})`,
      }));
    return { weights, excluded };
  }
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

function coordinatewise(
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

/** Coordinate-wise median (Yin et al. 2018). */
export class Median extends Stateless {
  readonly name = "median";
  aggregate(_global: Float32Array, updates: readonly ClientUpdate[]): AggregateResult {
    const weights = coordinatewise(updates, (c) => {
      const mid = c.length >> 1;
      return c.length % 2 === 1 ? c[mid]! : (c[mid - 1]! + c[mid]!) / 2;
    });
    return { weights, excluded: [] };
  }
}

/** Coordinate-wise trimmed mean (Yin et al. 2018): drop the beta fraction at each end. */
export class TrimmedMean extends Stateless {
  readonly name = "trimmed-mean";
  constructor(private readonly beta: number) {
    super();
  }
  aggregate(_global: Float32Array, updates: readonly ClientUpdate[]): AggregateResult {
    const n = updates.length;
    const trim = Math.min(Math.floor(this.beta * n), Math.floor((n - 1) / 2));
    const weights = coordinatewise(updates, (c) => {
      let s = 0;
      for (let i = trim; i < n - trim; i++) s += c[i]!;
      return s / (n - 2 * trim);
    });
    return { weights, excluded: [] };
  }
}

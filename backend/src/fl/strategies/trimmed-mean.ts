import { z } from "zod";
import { param } from "../../catalogue/entry.js";
import { coordinatewise, StatelessStrategy } from "./stateless-strategy.js";
import { defineStrategy, type AggregateResult, type ClientUpdate } from "./strategy.js";

/** Coordinate-wise trimmed mean (Yin et al. 2018): drop the beta fraction at each end. */
export class TrimmedMean extends StatelessStrategy {
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

export const trimmedMean = defineStrategy({
  id: "trimmed-mean",
  label: "Trimmed mean",
  help: "Byzantine-robust (Yin et al. 2018): each parameter is the mean of the nodes' values after dropping the β fraction at each end.",
  params: {
    beta: z
      .number()
      .min(0)
      .max(0.49)
      .default(0.1)
      .meta(
        param("β (trimmed per end)", "Fraction of values dropped from each end, per parameter."),
      ),
  },
  needsIndividualUpdates: true,
  create: (p) => new TrimmedMean(p.beta),
});

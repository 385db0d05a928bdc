import { coordinatewise, StatelessStrategy } from "./stateless-strategy.js";
import { defineStrategy, type AggregateResult, type ClientUpdate } from "./strategy.js";

/** Coordinate-wise median (Yin et al. 2018). */
export class Median extends StatelessStrategy {
  readonly name = "median";
  aggregate(_global: Float32Array, updates: readonly ClientUpdate[]): AggregateResult {
    const weights = coordinatewise(updates, (c) => {
      const mid = c.length >> 1;
      return c.length % 2 === 1 ? c[mid]! : (c[mid - 1]! + c[mid]!) / 2;
    });
    return { weights, excluded: [] };
  }
}

export const median = defineStrategy({
  id: "median",
  label: "Coordinate-wise median",
  help: "Byzantine-robust (Yin et al. 2018): each parameter is the median of the nodes' values.",
  params: {},
  needsIndividualUpdates: true,
  create: () => new Median(),
});

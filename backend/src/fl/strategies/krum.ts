import { z } from "zod";
import { param } from "../../catalogue/entry.js";
import { StatelessStrategy } from "./stateless-strategy.js";
import {
  defineStrategy,
  weightedMean,
  type AggregateResult,
  type ClientUpdate,
} from "./strategy.js";

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
export class Krum extends StatelessStrategy {
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

export const krum = defineStrategy({
  id: "krum",
  label: "Krum / Multi-Krum",
  help: "Byzantine-robust selection (Blanchard et al. 2017): keeps the m updates closest to their neighbours and averages them; the others are rejected and earn nothing.",
  params: {
    f: z
      .number()
      .int()
      .min(0)
      .max(100)
      .default(1)
      .meta(
        param("f (Byzantine nodes tolerated)", "How many attackers per round Krum is sized for."),
      ),
    m: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(1)
      .meta(
        param(
          "m (updates kept)",
          "1 is Krum; more averages the m best-scored updates (Multi-Krum).",
        ),
      ),
  },
  needsIndividualUpdates: true,
  checkParticipants: (p, perRound) =>
    perRound < 2 * p.f + 3
      ? `Krum with f = ${p.f} needs at least ${2 * p.f + 3} participants per round (nodes × fraction), this run has ${perRound}`
      : undefined,
  create: (p) => new Krum(p.f, p.m),
});

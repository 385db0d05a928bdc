import { z } from "zod";
import { param } from "../../catalogue/entry.js";
import {
  defineRewardPolicy,
  valueScore,
  type NodeScore,
  type ScoreInput,
} from "../policy-definition.js";
import { mulberry32 } from "../seeded-random.js";
import { SubsetGame } from "../subset-game.js";

interface GtgParams {
  truncation: number;
  convergence: number;
  maxIterations: number;
}

/** Permutation `first`, then the other nodes in a seeded random order. */
function guidedPermutation(n: number, first: number, rand: () => number): number[] {
  const rest = Array.from({ length: n }, (_, i) => i).filter((i) => i !== first);
  for (let i = rest.length - 1; i > 0; i--) {
    const k = Math.floor(rand() * (i + 1));
    [rest[i], rest[k]] = [rest[k]!, rest[i]!];
  }
  return [first, ...rest];
}

/**
 * One GTG iteration: n guided permutations (each node first once), walked prefix by prefix in
 * lock step so that each depth's new coalitions are evaluated in one batch. A permutation is
 * truncated once its prefix is worth within `tol` of the whole round: its remaining marginals are 0.
 * Adds every node's n marginals to `sum`.
 */
async function iterate(
  game: SubsetGame,
  vN: number,
  tol: number,
  rand: () => number,
  sum: Float64Array,
) {
  const n = game.n;
  const perms = Array.from({ length: n }, (_, first) => guidedPermutation(n, first, rand));
  const mask = new Array<number>(n).fill(0);
  const value = new Array<number>(n).fill(0);
  const live = new Array<boolean>(n).fill(true);
  let largest = 0;
  for (let depth = 0; depth < n; depth++) {
    for (let p = 0; p < n; p++) {
      if (live[p] && Math.abs(vN - value[p]!) < tol) live[p] = false;
      if (live[p]) mask[p]! |= 1 << perms[p]![depth]!;
    }
    await game.losses(mask.filter((_, p) => live[p]));
    for (let p = 0; p < n; p++) {
      if (!live[p]) continue;
      const v = game.value(mask[p]!);
      sum[perms[p]![depth]!]! += v - value[p]!;
      largest = Math.max(largest, Math.abs(v - value[p]!));
      value[p] = v;
    }
  }
  return largest;
}

/** What GTG estimated, and what its error bound needs. */
export interface GtgEstimate {
  phi: Float64Array;
  base: number;
  /** Marginals averaged per node (n per iteration). */
  samples: number;
  /** The largest |marginal| seen: the range r of the Hoeffding bound. */
  range: number;
}

/**
 * Hoeffding's half-width: with probability 1 - delta, each estimate is within this of the
 * truncated game's Shapley value (m marginals in [-r, r] per node; guided sampling only
 * stratifies them, which does not widen it).
 */
export function gtgErrorBound(e: Pick<GtgEstimate, "samples" | "range">, delta: number): number {
  return e.range * Math.sqrt((2 * Math.log(2 / delta)) / e.samples);
}

/**
 * GTG-Shapley (Liu et al. 2022), within one round: Monte-Carlo Shapley over permutations of the
 * round's own updates (no retraining), with within-round truncation and guided sampling (every
 * node opens one permutation per iteration), iterating until the estimates move by less than
 * `convergence` (relative, L1) from one iteration to the next, or `maxIterations`.
 */
export async function gtgEstimate(input: ScoreInput<GtgParams>): Promise<GtgEstimate> {
  const { start, updates, evaluate, params } = input;
  const n = updates.length;
  const game = new SubsetGame(start, updates, evaluate);
  const [base] = await game.losses([0, game.full]);
  const vN = game.value(game.full);
  const tol = params.truncation * Math.abs(vN);
  const rand = mulberry32(input.seed);
  const sum = new Float64Array(n);
  let phi = new Float64Array(n);
  let range = 0;
  let k = 0;
  while (k < params.maxIterations) {
    k++;
    range = Math.max(range, await iterate(game, vN, tol, rand, sum));
    const next = sum.map((s) => s / (n * k));
    const moved = next.reduce((s, x, i) => s + Math.abs(x - phi[i]!), 0);
    const size = next.reduce((s, x) => s + Math.abs(x), 0);
    phi = next;
    if (k >= 2 && moved <= params.convergence * size) break;
  }
  return { phi, base: base!, samples: n * k, range };
}

async function gtgShapley(input: ScoreInput<GtgParams>): Promise<NodeScore[]> {
  const e = await gtgEstimate(input);
  return input.updates.map((u, i) => valueScore(u.nodeId, e.base, e.phi[i]!));
}

export const gtgShapleyPolicy = defineRewardPolicy({
  id: "gtg-shapley",
  label: "GTG-Shapley (guided truncated Monte Carlo)",
  help: "Pays each node its GTG-Shapley estimate (Liu et al. 2022) of the round's validation-loss drop: permutations of the round's own updates, FedAvg-aggregated, truncated once a prefix is within tolerance of the whole round, each node leading one permutation per iteration, until the estimates converge. Cost: about 370 evaluations per round at 10 nodes (45x loss-improvement's time). Spearman against exact Shapley 0.91 (IID) to 0.99 in npm run bench:rewards (10 MNIST nodes; IID, Dirichlet 0.5/0.3/0.1, label shards, 20% Byzantine).",
  losses:
    "lossBefore = the start model; lossAfter = that loss minus the node's GTG-Shapley estimate.",
  params: {
    truncation: z
      .number()
      .min(0)
      .max(0.5)
      .default(0.02)
      .meta(
        param(
          "Truncation",
          "A permutation stops once its prefix's loss drop is within this fraction of the whole round's.",
        ),
      ),
    convergence: z
      .number()
      .gt(0)
      .max(1)
      .default(0.05)
      .meta(
        param(
          "Convergence",
          "Stop when an iteration (one permutation per node) moves the estimates by less than this fraction (L1).",
        ),
      ),
    maxIterations: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(10)
      .meta(param("Max iterations", "At most this many iterations of n permutations per round.")),
  },
  sampleWeighted: false,
  needsIndividualUpdates: true,
  permutations: () => 0,
  score: gtgShapley,
});

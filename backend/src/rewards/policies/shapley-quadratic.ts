import { z } from "zod";
import { param } from "../../catalogue/entry.js";
import type { ClientUpdate } from "../../fl/strategies/strategy.js";
import {
  defineRewardPolicy,
  valueScore,
  type NodeScore,
  type ScoreInput,
} from "../policy-definition.js";
import { mulberry32 } from "../seeded-random.js";
import { evaluateInBatches, shapleyFromTable } from "../subset-game.js";

/** Rounds of up to this many updates get the surrogate's Shapley values exactly (2^n subsets). */
const EXACT_UP_TO = 14;

/**
 * A second-order model of the validation loss of any FedAvg subset S of the round's updates,
 * around the round's aggregate wN (e_k = w_k - wN, a = S's FedAvg weights):
 *
 *   L(S) ~ L_N + sum_k a_k b_k + 1/2 sum_kl a_k a_l A_kl
 *
 * Each node's b_k and A_kk are solved exactly from its two measured losses: alone (a = e_k) and
 * leave-one-out (wN minus it is wN - beta_k e_k, beta_k = n_k / (n_N - n_k)). The cross terms
 * take the geometry of the updates: A_kl = cos(e_k, e_l) sqrt(A_kk A_ll). Measured coalitions
 * (none, one, all but one, all) keep their measured losses, so the model is exact there and
 * the values are efficient: they add up to the round's measured loss drop.
 */
interface Surrogate {
  n: number;
  /** FedAvg weights (samples; 1 each when a count is not positive). */
  w: Float64Array;
  LN: number;
  L0: number;
  b: Float64Array;
  A: Float64Array[];
  alone: Float64Array;
  without: Float64Array;
}

/**
 * Lets the event loop run between passes over a model (a CNN pass is ~1.7M values): the
 * coordinator scores on its main thread, and health, listing and stop must answer meanwhile.
 */
const breathe = () =>
  new Promise<void>((r) => {
    // setImmediate in Node; the browser's re-execution audit runs this too, and has only setTimeout.
    const immediate = (globalThis as { setImmediate?: (f: () => void) => void }).setImmediate;
    if (immediate) immediate(r);
    else setTimeout(r, 0);
  });

/** Start, each update alone, each leave-one-out aggregate, and the full aggregate. */
async function measuredModels(
  start: Float32Array,
  updates: readonly ClientUpdate[],
  w: Float64Array,
) {
  const total = w.reduce((s, x) => s + x, 0);
  const full = new Float64Array(start.length);
  for (const [k, u] of updates.entries()) {
    const c = w[k]! / total;
    for (let j = 0; j < full.length; j++) full[j]! += c * u.weights[j]!;
    await breathe();
  }
  const without: Float32Array[] = [];
  for (const [k, u] of updates.entries()) {
    const rest = total - w[k]!;
    if (updates.length === 1 || rest <= 0) {
      without.push(start);
      continue;
    }
    const out = new Float32Array(start.length);
    for (let j = 0; j < out.length; j++) out[j] = (total * full[j]! - w[k]! * u.weights[j]!) / rest;
    without.push(out);
    await breathe();
  }
  return { full, without, total };
}

/** Gram matrix of the updates' offsets from the full aggregate, as cosines. */
async function offsetCosines(
  updates: readonly ClientUpdate[],
  full: Float64Array,
): Promise<Float64Array[]> {
  const n = updates.length;
  const g = Array.from({ length: n }, () => new Float64Array(n));
  for (let k = 0; k < n; k++) {
    await breathe();
    for (let l = k; l < n; l++) {
      const x = updates[k]!.weights;
      const y = updates[l]!.weights;
      let dot = 0;
      for (let j = 0; j < full.length; j++) dot += (x[j]! - full[j]!) * (y[j]! - full[j]!);
      g[k]![l] = dot;
      g[l]![k] = dot;
    }
  }
  return g.map((row, k) =>
    row.map((dot, l) =>
      g[k]![k]! > 0 && g[l]![l]! > 0 ? dot / Math.sqrt(g[k]![k]! * g[l]![l]!) : 0,
    ),
  );
}

async function fitSurrogate(input: ScoreInput): Promise<Surrogate> {
  const { start, updates, evaluate } = input;
  const n = updates.length;
  const positive = updates.every((u) => u.numSamples > 0);
  const w = Float64Array.from(updates, (u) => (positive ? u.numSamples : 1));
  const { full, without, total } = await measuredModels(start, updates, w);
  const losses = await evaluateInBatches(evaluate, [
    start,
    Float32Array.from(full),
    ...updates.map((u) => u.weights),
    ...without,
  ]);
  const [L0, LN] = losses;
  const alone = Float64Array.from(losses.slice(2, 2 + n));
  const loo = Float64Array.from(losses.slice(2 + n));
  const b = new Float64Array(n);
  const diag = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const beta = w[k]! / (total - w[k]!);
    const a = n > 1 ? (2 * (loo[k]! - LN! + beta * (alone[k]! - LN!))) / (beta * (1 + beta)) : 0;
    diag[k] = a > 0 && Number.isFinite(a) ? a : 0;
    b[k] = alone[k]! - LN! - diag[k]! / 2;
  }
  const cos = await offsetCosines(updates, full);
  const A = cos.map((row, k) =>
    row.map((c, l) => (k === l ? diag[k]! : c * Math.sqrt(diag[k]! * diag[l]!))),
  );
  return { n, w, L0: L0!, LN: LN!, b, A, alone, without: loo };
}

/** Adds node k to a coalition's running sums (weight W, linear B, quadratic Q, cross C). */
class Coalition {
  size = 0;
  W = 0;
  B = 0;
  Q = 0;
  readonly C: Float64Array;
  readonly members: number[] = [];
  constructor(private readonly s: Surrogate) {
    this.C = new Float64Array(s.n);
  }
  add(k: number): void {
    const { w, b, A } = this.s;
    this.Q += 2 * w[k]! * this.C[k]! + w[k]! * w[k]! * A[k]![k]!;
    for (let l = 0; l < this.s.n; l++) this.C[l]! += w[k]! * A[k]![l]!;
    this.W += w[k]!;
    this.B += w[k]! * b[k]!;
    this.size++;
    this.members.push(k);
  }
  /** v(S) = L0 - L(S), measured when S is none, one, all but one or all of the nodes. */
  value(missing: () => number): number {
    const s = this.s;
    if (this.size === 0) return 0;
    if (this.size === s.n) return s.L0 - s.LN;
    if (this.size === 1) return s.L0 - s.alone[this.members[0]!]!;
    if (this.size === s.n - 1) return s.L0 - s.without[missing()]!;
    return s.L0 - (s.LN + this.B / this.W + (0.5 * this.Q) / (this.W * this.W));
  }
}

/** Exact Shapley values of the surrogate game: every subset, in arithmetic only. */
function exactValues(s: Surrogate): Float64Array {
  const n = s.n;
  const all = 2 ** n - 1;
  const values = new Float64Array(all + 1);
  for (let m = 1; m <= all; m++) {
    const c = new Coalition(s);
    for (let k = 0; k < n; k++) if (m & (1 << k)) c.add(k);
    values[m] = c.value(() => Math.log2(all ^ m));
  }
  return shapleyFromTable(values, n);
}

/** Monte-Carlo Shapley values of the surrogate game (large rounds): cheap, no evaluations. */
function sampledValues(s: Surrogate, permutations: number, seed: number): Float64Array {
  const rand = mulberry32(seed);
  const phi = new Float64Array(s.n);
  const order = Array.from({ length: s.n }, (_, i) => i);
  for (let p = 0; p < permutations; p++) {
    for (let i = s.n - 1; i > 0; i--) {
      const k = Math.floor(rand() * (i + 1));
      [order[i], order[k]] = [order[k]!, order[i]!];
    }
    const c = new Coalition(s);
    let prev = 0;
    for (let t = 0; t < s.n; t++) {
      c.add(order[t]!);
      const v = c.value(() => order[s.n - 1]!);
      phi[order[t]!]! += v - prev;
      prev = v;
    }
  }
  return phi.map((x) => x / permutations);
}

async function quadraticShapley(
  input: ScoreInput<{ surrogatePermutations: number }>,
): Promise<NodeScore[]> {
  const s = await fitSurrogate(input);
  const phi =
    s.n <= EXACT_UP_TO
      ? exactValues(s)
      : sampledValues(s, input.params.surrogatePermutations, input.seed);
  return input.updates.map((u, i) => valueScore(u.nodeId, s.L0, phi[i]!));
}

export const shapleyQuadratic = defineRewardPolicy({
  id: "shapley-quadratic",
  label: "Shapley (quadratic surrogate, 2n+2 evaluations)",
  help: "Pays each node its Shapley value of the round's validation-loss drop, computed on a second-order model of the loss of every FedAvg subset of the round's updates, calibrated per node by two measured losses (its update alone and the round without it): 2n+2 evaluations (22 at 10 nodes: twice loss-improvement's, 2.9x its time). The default: in npm run bench:rewards (10 MNIST nodes; IID, Dirichlet 0.5/0.3/0.1, label shards, 20% Byzantine) its Spearman against exact within-round Shapley is 0.96 (label shards) to 1.00 per setting (Kendall 0.88 to 1.00; 0.99 with the CNN), no improving round went unpaid, and the free-rider and noisy-label node got no more than their Shapley share.",
  losses:
    "lossBefore = the start model; lossAfter = that loss minus the node's Shapley value in the quadratic surrogate of the round's FedAvg subsets (measured alone, leave-one-out and in full).",
  params: {
    surrogatePermutations: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .default(5000)
      .meta(
        param(
          "Permutations (large rounds)",
          `Rounds of more than ${EXACT_UP_TO} updates sample this many orders of the surrogate (arithmetic only, no evaluations); smaller rounds are exact.`,
        ),
      ),
  },
  sampleWeighted: false,
  needsIndividualUpdates: true,
  permutations: () => 0,
  score: quadraticShapley,
});

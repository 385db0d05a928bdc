import { DEFAULT_RDP_ORDERS } from "./rdp-orders.js";
import { sampledGaussianRdpCurve } from "./rdp-sampled-gaussian.js";
import { epsilonFromRdp, type EpsilonAtOrder, type RdpConversion } from "./rdp-to-epsilon.js";

/**
 * Rényi DP accountant for a run of Sampled Gaussian Mechanisms, like Opacus's RDPAccountant and
 * TF Privacy's compute_rdp + get_privacy_spent: it records (noise multiplier, sampling rate,
 * steps) entries, sums their RDP curves (RDP composes additively) and converts the total to
 * (epsilon, delta) at the best order of its grid.
 *
 * For DP-FedAvg with user-level DP, one step is one round: q = the probability a user is in the
 * round (clients per round / total clients), noise multiplier = std of the noise on the SUM of
 * clipped deltas divided by the clip norm (see noise-calibration.ts for local noise).
 *
 * Its state is plain JSON (`toJSON` / `RdpAccountant.fromJSON`) so a run's spent budget survives
 * a coordinator restart with its checkpoint.
 */

export interface RdpAccountantEntry {
  noiseMultiplier: number;
  samplingRate: number;
  steps: number;
}

export interface RdpAccountantState {
  version: 1;
  orders: number[];
  entries: RdpAccountantEntry[];
}

function checkEntry(e: RdpAccountantEntry): void {
  if (!(Number.isFinite(e.noiseMultiplier) && e.noiseMultiplier >= 0))
    throw new RangeError(`noise multiplier must be a finite number >= 0, got ${e.noiseMultiplier}`);
  if (!(Number.isFinite(e.samplingRate) && e.samplingRate >= 0 && e.samplingRate <= 1))
    throw new RangeError(`sampling rate must be a number in [0, 1], got ${e.samplingRate}`);
  if (!(Number.isInteger(e.steps) && e.steps >= 1))
    throw new RangeError(`steps must be an integer >= 1, got ${e.steps}`);
}

function checkOrders(orders: readonly number[]): void {
  if (orders.length === 0) throw new RangeError("an RDP accountant needs at least one order");
  for (const a of orders)
    if (!(Number.isFinite(a) && a > 1))
      throw new RangeError(`RDP orders must be finite and > 1, got ${a}`);
}

export class RdpAccountant {
  readonly orders: readonly number[];
  private readonly entries: RdpAccountantEntry[] = [];
  /** Running sum of the entries' RDP curves, so getEpsilon stays O(orders) over long runs. */
  private readonly total: number[];
  /** One step's RDP curve per (noise multiplier, sampling rate) seen. */
  private readonly curveCache = new Map<string, number[]>();

  constructor(orders: readonly number[] = DEFAULT_RDP_ORDERS) {
    checkOrders(orders);
    this.orders = Object.freeze([...orders]);
    this.total = new Array<number>(this.orders.length).fill(0);
  }

  private record(e: RdpAccountantEntry): void {
    const key = `${e.noiseMultiplier}|${e.samplingRate}`;
    let curve = this.curveCache.get(key);
    if (!curve) {
      curve = sampledGaussianRdpCurve(e.samplingRate, e.noiseMultiplier, 1, this.orders);
      this.curveCache.set(key, curve);
    }
    curve.forEach((v, k) => (this.total[k]! += v === 0 ? 0 : v * e.steps));
  }

  /**
   * Records `steps` applications of the SGM with this noise multiplier and sampling rate
   * (consecutive identical steps are merged into one entry, as Opacus does).
   */
  step(noiseMultiplier: number, samplingRate: number, steps = 1): this {
    const entry = { noiseMultiplier, samplingRate, steps };
    checkEntry(entry);
    this.record(entry);
    const last = this.entries.at(-1);
    if (last && last.noiseMultiplier === noiseMultiplier && last.samplingRate === samplingRate)
      last.steps += steps;
    else this.entries.push(entry);
    return this;
  }

  /** Total steps recorded. */
  get totalSteps(): number {
    return this.entries.reduce((s, e) => s + e.steps, 0);
  }

  /** The summed RDP at each order of the grid (all 0 before any step). */
  rdp(): number[] {
    return [...this.total];
  }

  /**
   * The smallest epsilon over the grid for which the recorded steps are (epsilon, delta)-DP, and
   * the order that gave it. Infinity (order null) once any step had noise multiplier 0 and q > 0.
   */
  getEpsilon(delta: number, conversion: RdpConversion = "balle2020"): EpsilonAtOrder {
    return epsilonFromRdp(this.orders, this.rdp(), delta, conversion);
  }

  toJSON(): RdpAccountantState {
    return {
      version: 1,
      orders: [...this.orders],
      entries: this.entries.map((e) => ({ ...e })),
    };
  }

  static fromJSON(state: RdpAccountantState): RdpAccountant {
    if (state === null || typeof state !== "object" || state.version !== 1)
      throw new RangeError(`unsupported RDP accountant state (version ${String(state?.version)})`);
    if (!Array.isArray(state.orders) || !Array.isArray(state.entries))
      throw new RangeError("RDP accountant state needs `orders` and `entries` arrays");
    const acc = new RdpAccountant(state.orders);
    for (const e of state.entries) {
      checkEntry(e);
      const entry = {
        noiseMultiplier: e.noiseMultiplier,
        samplingRate: e.samplingRate,
        steps: e.steps,
      };
      acc.record(entry);
      acc.entries.push(entry);
    }
    return acc;
  }
}

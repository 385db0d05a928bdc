// Anomaly screening of updates, pure (no store, chain or HTTP): measures each update's delta
// against the round's start model, scores the measures against the run's history with a robust
// z-score, and keeps that history from round to round.
//
// - Measures: the delta d_i = w_i - start of every update screened in the round; its L2 norm, and
//   its cosine to the round's mean direction, the UNWEIGHTED mean of the deltas scaled to unit
//   length, m = (1/k) sum d_i / |d_i|. Neither sample counts nor norms weigh in the reference: an
//   update boosted x10 would otherwise pull the plain mean towards itself, and every honest
//   update's cosine would measure its likeness to the attacker's. The update itself is part of the
//   mean. A zero delta or a zero mean has cosine 0 (never NaN).
// - Both are scored relative to their round, as multiples of the round's typical value: the norm
//   as r_i = norm_i / median(norms), the cosine through its distance 1 - cosine, as
//   c_i = 1 - (1 - cosine_i) / median(1 - cosines) (0 for a typical update, -1 for one twice as
//   far from the mean direction as typical). Updates shrink and turn less alike as training
//   converges (round 1's deltas from the initial model are large and nearly parallel, later
//   ones smaller and more spread), so raw values, or differences, against earlier rounds flagged
//   whole honest rounds in a first version (MNIST, round 2: 10 of 10, cosine z -25 to -35);
//   ratios to the round's typical update stay comparable (x10 boosting reads as r = 10 in any
//   round). `norm` and `cosine` in the result are the raw values, `normZ`
//   and `cosineZ` the z of r and c. (r = 1, c = 0 for all when the round's median is 0.)
// - Score: z = (x - median(H)) / (1.4826 x MAD(H)) over the history H of earlier rounds' values
//   (MAD = median |h - median(H)|; 1.4826 makes it the standard deviation for normal data). When
//   MAD is 0 (more than half the history equal), the mean absolute deviation x 1.2533 stands in;
//   when that is 0 too (all equal), z is 0 for the same value and +-Z_LIMIT otherwise. z is
//   clamped to +-Z_LIMIT, so it is always finite.
// - Flag: once H holds >= minHistory values, an update is flagged when |normZ| > threshold (a
//   boosted update and a near-zero one, a node that sends back what it got, are both suspicious)
//   or -cosineZ > threshold (pointing away from the round's mean; a high cosine is never flagged).
//   With `exclude`, flagged updates are excluded, unless more than half of a round's (3 or more)
//   updates are flagged: then the population moved rather than a few nodes, and excluding most of
//   the round would stall the run; they stay flagged (and alerted on) but are aggregated.
// - History: the current round is scored against earlier rounds only, then its values are
//   appended, except flagged ones (an attacker present every round does not drag the median and
//   MAD towards itself). In a round where most were flagged (above) all its values join, so the
//   history follows the population. Only the most recent historyWindow(spec) values are kept.
//   Before minHistory is reached nothing is flagged and every value joins: a minority attacker
//   there shifts the median little (its breakdown point is 50%).
import type { AnomalySpec, UpdateAnomaly } from "../domain/index.js";

/** |z| never exceeds this (a value off a constant history would otherwise be infinite). */
export const Z_LIMIT = 1000;
/** Consistency factor of the MAD with the standard deviation of normal data. */
export const MAD_FACTOR = 1.4826;
/** Consistency factor of the mean absolute deviation (sqrt(pi/2)), the MAD = 0 fallback. */
export const MEAN_AD_FACTOR = 1.2533;
/** The history keeps at least this many of the most recent values (and at least minHistory). */
export const MIN_HISTORY_WINDOW = 100;

/**
 * Earlier rounds' unflagged measures relative to their round (relativeMeasures), oldest first; the
 * two arrays have the same length.
 */
export interface AnomalyHistory {
  readonly relativeNorms: readonly number[];
  readonly relativeCosines: readonly number[];
}

export const EMPTY_HISTORY: AnomalyHistory = { relativeNorms: [], relativeCosines: [] };

export interface UpdateMeasure {
  norm: number;
  cosine: number;
}

export const historyWindow = (spec: Pick<AnomalySpec, "minHistory">): number =>
  Math.max(spec.minHistory, MIN_HISTORY_WINDOW);

/**
 * Every update's delta norm and cosine to the round's mean direction, in two passes over the
 * coordinates (norms, then the unit-length mean and each delta's dot product with it), each update
 * read once per pass, Float64 sums, no model-sized buffer. The mean's scale does not change a
 * cosine, so the sum of the unit deltas stands for it. `slices` does the work a slice of
 * coordinates at a time, so a caller can let its event loop run between slices.
 */
export class DeltaMeasurer {
  private readonly sq: Float64Array;
  private readonly inv: Float64Array;
  private readonly dot: Float64Array;
  private readonly d: Float64Array;
  private sumSq = 0;

  constructor(
    private readonly start: Float32Array,
    private readonly updates: readonly Float32Array[],
  ) {
    const n = start.length;
    for (const u of updates)
      if (u.length !== n) throw new Error(`update of ${u.length} parameters, model has ${n}`);
    const k = updates.length;
    this.sq = new Float64Array(k);
    this.inv = new Float64Array(k);
    this.dot = new Float64Array(k);
    this.d = new Float64Array(k);
  }

  /** Runs both passes, yielding after every `size` coordinates. */
  *slices(size: number): Generator<void, UpdateMeasure[]> {
    const n = this.start.length;
    for (let from = 0; from < n; from += size) {
      this.squares(from, Math.min(n, from + size));
      yield;
    }
    this.inv.forEach((_, i) => (this.inv[i] = this.sq[i]! > 0 ? 1 / Math.sqrt(this.sq[i]!) : 0));
    for (let from = 0; from < n; from += size) {
      this.directions(from, Math.min(n, from + size));
      if (from + size < n) yield;
    }
    return this.result();
  }

  private squares(from: number, to: number): void {
    const { start, updates, sq } = this;
    for (let i = 0; i < updates.length; i++) {
      const u = updates[i]!;
      let acc = 0;
      for (let j = from; j < to; j++) {
        const v = u[j]! - start[j]!;
        acc += v * v;
      }
      sq[i] = sq[i]! + acc;
    }
  }

  private directions(from: number, to: number): void {
    const { start, updates, inv, dot, d } = this;
    const k = updates.length;
    let sumSq = 0;
    for (let j = from; j < to; j++) {
      const s0 = start[j]!;
      let s = 0;
      for (let i = 0; i < k; i++) {
        const v = updates[i]![j]! - s0;
        d[i] = v;
        s += v * inv[i]!;
      }
      for (let i = 0; i < k; i++) dot[i] = dot[i]! + d[i]! * s;
      sumSq += s * s;
    }
    this.sumSq += sumSq;
  }

  private result(): UpdateMeasure[] {
    const sumNorm = Math.sqrt(this.sumSq);
    return Array.from({ length: this.updates.length }, (_, i) => {
      const norm = Math.sqrt(this.sq[i]!);
      const denom = norm * sumNorm;
      const cosine = denom > 0 ? Math.max(-1, Math.min(1, this.dot[i]! / denom)) : 0;
      return { norm, cosine };
    });
  }
}

/** Every update's delta norm and cosine to the round's mean direction, at once (DeltaMeasurer). */
export function measureUpdates(
  start: Float32Array,
  updates: readonly Float32Array[],
): UpdateMeasure[] {
  const it = new DeltaMeasurer(start, updates).slices(Number.MAX_SAFE_INTEGER);
  for (;;) {
    const step = it.next();
    if (step.done) return step.value;
  }
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error("median of no values");
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** A history's centre and robust spread: median and 1.4826 x MAD (fallbacks above). */
export interface RobustStats {
  median: number;
  /** 0 only when every value equals the median. */
  scale: number;
}

export function robustStats(values: readonly number[]): RobustStats {
  const med = median(values);
  const deviations = values.map((v) => Math.abs(v - med));
  const mad = median(deviations);
  if (mad > 0) return { median: med, scale: MAD_FACTOR * mad };
  const meanAd = deviations.reduce((a, b) => a + b, 0) / deviations.length;
  return { median: med, scale: MEAN_AD_FACTOR * meanAd };
}

/** The robust z-score of x, finite and within +-Z_LIMIT. */
export function robustZ(x: number, stats: RobustStats): number {
  const diff = x - stats.median;
  if (diff === 0) return 0;
  const z = stats.scale > 0 ? diff / stats.scale : Math.sign(diff) * Z_LIMIT;
  return Math.max(-Z_LIMIT, Math.min(Z_LIMIT, z));
}

/**
 * Scores a round's measures (every update screened in the round: their medians are the round's
 * reference) against the history of earlier rounds. `excluded` is set for flagged updates when the
 * spec excludes them and they are a minority of the round.
 */
export function scoreUpdates(
  measures: readonly UpdateMeasure[],
  history: AnomalyHistory,
  spec: AnomalySpec,
): UpdateAnomaly[] {
  const n = history.relativeNorms.length;
  if (n === 0 || n < spec.minHistory)
    return measures.map(({ norm, cosine }) => ({
      ...{ norm, cosine, normZ: null, cosineZ: null },
      ...{ flagged: false, excluded: false },
    }));
  const normStats = robustStats(history.relativeNorms);
  const cosineStats = robustStats(history.relativeCosines);
  const rel = relativeMeasures(measures);
  const scored = measures.map(({ norm, cosine }, i) => {
    const normZ = robustZ(rel[i]!.norm, normStats);
    const cosineZ = robustZ(rel[i]!.cosine, cosineStats);
    const flagged = Math.abs(normZ) > spec.threshold || -cosineZ > spec.threshold;
    return { norm, cosine, normZ, cosineZ, flagged, excluded: false };
  });
  if (spec.exclude && !populationMoved(scored)) for (const a of scored) a.excluded = a.flagged;
  return scored;
}

/** More than half of a round's (3 or more) updates flagged: the round moved, not a few nodes. */
export function populationMoved(scored: readonly { flagged: boolean }[]): boolean {
  const flagged = scored.filter((a) => a.flagged).length;
  return scored.length >= 3 && flagged * 2 > scored.length;
}

/** Each norm over the round's median norm (1 for all when that median is 0). */
export function relativeNorms(norms: readonly number[]): number[] {
  if (norms.length === 0) return [];
  const m = median(norms);
  return norms.map((x) => (m > 0 ? x / m : 1));
}

/**
 * A round's measures relative to the round: norm / median norm, and 1 - (1 - cosine) / median(1 -
 * cosine), the cosine distance as a multiple of the round's typical one (0 for a typical update,
 * negative for one farther from the mean direction than typical, up to 1 for one on it).
 */
export function relativeMeasures(measures: readonly UpdateMeasure[]): UpdateMeasure[] {
  if (measures.length === 0) return [];
  const norms = relativeNorms(measures.map((m) => m.norm));
  const typical = median(measures.map((m) => 1 - m.cosine));
  return measures.map((m, i) => ({
    norm: norms[i]!,
    cosine: typical > 0 ? 1 - (1 - m.cosine) / typical : 0,
  }));
}

/**
 * The history after a scored round (see the rules at the top); a new object, the old unchanged.
 * `scored` must be every update screened in the round (their medians are the round's reference).
 */
export function extendHistory(
  history: AnomalyHistory,
  scored: readonly Pick<UpdateAnomaly, "norm" | "cosine" | "flagged">[],
  spec: Pick<AnomalySpec, "minHistory">,
): AnomalyHistory {
  const all = populationMoved(scored);
  const rel = relativeMeasures(scored);
  const joining = rel.filter((_, i) => all || !scored[i]!.flagged);
  if (joining.length === 0) return history;
  const keep = historyWindow(spec);
  return {
    relativeNorms: [...history.relativeNorms, ...joining.map((j) => j.norm)].slice(-keep),
    relativeCosines: [...history.relativeCosines, ...joining.map((j) => j.cosine)].slice(-keep),
  };
}

/**
 * The history as it stood after the given rounds (a resumed run): their recorded anomaly scores,
 * replayed in round order through extendHistory. Updates without scores (secure aggregation, or
 * not accepted before screening) are skipped, as they were when the rounds ran.
 */
export function historyFromRounds(
  rounds: readonly { round: number; updates: readonly { anomaly?: UpdateAnomaly | undefined }[] }[],
  spec: Pick<AnomalySpec, "minHistory">,
): AnomalyHistory {
  let history = EMPTY_HISTORY;
  for (const r of [...rounds].sort((a, b) => a.round - b.round)) {
    const scored = r.updates.flatMap((u) => (u.anomaly ? [u.anomaly] : []));
    if (scored.length > 0) history = extendHistory(history, scored, spec);
  }
  return history;
}

const signed = (z: number) => `${z >= 0 ? "+" : ""}${z.toFixed(1)}`;

/** Why a flagged update was excluded, e.g. "anomalous update: norm z=+7.3 (threshold 3.5)". */
export function anomalyReason(a: UpdateAnomaly, threshold: number): string {
  const parts: string[] = [];
  if (a.normZ !== null && Math.abs(a.normZ) > threshold) parts.push(`norm z=${signed(a.normZ)}`);
  if (a.cosineZ !== null && -a.cosineZ > threshold) parts.push(`cosine z=${signed(a.cosineZ)}`);
  return `anomalous update: ${parts.join(", ")} (threshold ${threshold})`;
}

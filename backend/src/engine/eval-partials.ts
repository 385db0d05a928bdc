/**
 * Evaluations split into shares of a split's batches (one per worker), and how shares combine:
 * exactly, so a loss does not depend on how many workers measured it. No TensorFlow.js here:
 * the pool on the main thread combines what its workers return.
 */

export interface EvalResult {
  /** Mean cross-entropy. */
  loss: number;
  accuracy: number;
  n: number;
}

/** Which share of a split's batches one evaluation covers (part `index` of `of` equal shares). */
export interface EvalPart {
  index: number;
  of: number;
}

/**
 * One model's evaluation on a share of a split: the summed loss of each batch, in order, and
 * the hits. Shares combine (combinePartials) into exactly the result of one whole evaluation.
 */
export interface EvalPartial {
  lossSums: number[];
  correct: number;
  /** Samples in the whole split. */
  n: number;
  /** The samples this share covered: [from, to). */
  from: number;
  to: number;
}

export const WHOLE: EvalPart = { index: 0, of: 1 };

/**
 * Loss and accuracy from the partials of one model, in part order. The batch losses are summed
 * in batch order, as one evaluation of the whole split sums them, so splitting an evaluation
 * across workers gives the same float64 result bit for bit (the audit reproduces losses exactly).
 */
export function combinePartials(parts: readonly EvalPartial[]): EvalResult {
  const n = parts[0]?.n ?? 0;
  // Shares are cut by each worker from its own batch size: they must tile [0, n) exactly (two
  // workers on different kernel paths would cut them differently).
  let at = 0;
  for (const p of parts) {
    if (p.n !== n || p.from !== at || p.to < p.from)
      throw new Error(
        `evaluation shares do not tile the split: [${p.from}, ${p.to}) of ${p.n} after ${at} of ${n}`,
      );
    at = p.to;
  }
  if (at !== n) throw new Error(`evaluation shares cover ${at} of ${n} samples`);
  let lossSum = 0;
  let correct = 0;
  for (const p of parts) {
    for (const l of p.lossSums) lossSum += l;
    correct += p.correct;
  }
  return { loss: n ? lossSum / n : NaN, accuracy: n ? correct / n : NaN, n };
}

/** Samples [from, to) of part `part` of n samples in batches of `unit`. */
export function partRange(n: number, unit: number, part: EvalPart): [number, number] {
  const batches = Math.ceil(n / unit);
  const b0 = Math.floor((part.index * batches) / part.of);
  const b1 = Math.floor(((part.index + 1) * batches) / part.of);
  return [Math.min(n, b0 * unit), Math.min(n, b1 * unit)];
}

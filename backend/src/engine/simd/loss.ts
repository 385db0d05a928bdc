/** The models' loss: softmax cross-entropy over 10 classes, in JS (too small for a kernel). */

/** Sums over a batch: cross-entropy and argmax hits. */
export interface BatchStats {
  lossSum: number;
  correct: number;
}

/**
 * Softmax cross-entropy of m rows of 10 logits at float offset lo of h against labels (sums over
 * the batch); when dl >= 0, also writes d(mean loss)/d(logits) at float offset dl.
 */
export function softmaxCrossEntropy(
  h: Float32Array,
  lo: number,
  dl: number,
  m: number,
  labels: ArrayLike<number>,
): BatchStats {
  let lossSum = 0;
  let correct = 0;
  const p = new Float64Array(10);
  for (let r = 0; r < m; r++) {
    const z = lo + r * 10;
    let mx = -Infinity;
    let arg = 0;
    for (let c = 0; c < 10; c++) {
      const v = h[z + c]!;
      if (v > mx) {
        mx = v;
        arg = c;
      }
    }
    let s = 0;
    for (let c = 0; c < 10; c++) {
      p[c] = Math.exp(h[z + c]! - mx);
      s += p[c]!;
    }
    const y = labels[r]!;
    lossSum += Math.log(s) + mx - h[z + y]!;
    if (arg === y) correct++;
    if (dl >= 0) {
      for (let c = 0; c < 10; c++) h[dl + r * 10 + c] = (p[c]! / s - (c === y ? 1 : 0)) / m;
    }
  }
  return { lossSum, correct };
}

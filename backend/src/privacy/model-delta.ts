/**
 * Model deltas: what DP-FedAvg clips and noises is the change a node made to the global model,
 * not its weights.
 */

function checkSameLength(a: Float32Array, b: Float32Array, what: string): void {
  if (a.length !== b.length)
    throw new RangeError(`${what}: vectors of ${a.length} and ${b.length} values`);
}

/** local - global, as a new array. */
export function modelDelta(local: Float32Array, global: Float32Array): Float32Array {
  checkSameLength(local, global, "modelDelta");
  const out = new Float32Array(local.length);
  for (let i = 0; i < out.length; i++) out[i] = local[i]! - global[i]!;
  return out;
}

/** global + scale * delta, as a new array (scale 1: the node's weights back from its delta). */
export function applyDelta(global: Float32Array, delta: Float32Array, scale = 1): Float32Array {
  checkSameLength(global, delta, "applyDelta");
  const out = new Float32Array(global.length);
  for (let i = 0; i < out.length; i++) out[i] = global[i]! + scale * delta[i]!;
  return out;
}

/**
 * The sum of deltas divided by `denominator` (DP-FedAvg divides by a FIXED number, the expected
 * clients per round, so that the division is post-processing of the noised sum), accumulated in
 * float64.
 */
export function meanDelta(
  deltas: readonly Float32Array[],
  denominator = deltas.length,
): Float32Array {
  if (deltas.length === 0) throw new RangeError("meanDelta needs at least one delta");
  if (!(Number.isFinite(denominator) && denominator > 0))
    throw new RangeError(`denominator must be a finite number > 0, got ${denominator}`);
  const dim = deltas[0]!.length;
  const acc = new Float64Array(dim);
  for (const d of deltas) {
    checkSameLength(deltas[0]!, d, "meanDelta");
    for (let i = 0; i < dim; i++) acc[i]! += d[i]!;
  }
  const out = new Float32Array(dim);
  for (let i = 0; i < dim; i++) out[i] = acc[i]! / denominator;
  return out;
}

/**
 * L2 clipping of a model delta (local weights - global weights), the step that bounds one
 * user's influence on the aggregate to the clip norm C (the sensitivity DP noise is scaled to).
 */

/** Euclidean norm, accumulated in float64. */
export function l2Norm(v: Float32Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  return Math.sqrt(s);
}

export interface ClippedUpdate {
  /** delta * min(1, C / ||delta||): a new array, same direction, norm <= C. */
  clipped: Float32Array;
  /** ||delta|| before clipping. */
  norm: number;
  /** True when ||delta|| > C (the delta was scaled down). */
  wasClipped: boolean;
}

/**
 * Scales `delta` to L2 norm `clipNorm` when it is longer, leaves it as it is otherwise (a copy
 * either way; `delta` is not modified). The float32 result's norm can exceed C by float32
 * rounding (relative 1e-7); the scale is nudged down so it does not.
 */
export function clipUpdate(delta: Float32Array, clipNorm: number): ClippedUpdate {
  if (!(Number.isFinite(clipNorm) && clipNorm > 0))
    throw new RangeError(`clip norm must be a finite number > 0, got ${clipNorm}`);
  const norm = l2Norm(delta);
  if (!Number.isFinite(norm))
    throw new RangeError(`cannot clip a delta with non-finite values (norm ${norm})`);
  if (norm <= clipNorm) return { clipped: Float32Array.from(delta), norm, wasClipped: false };
  const scale = (clipNorm / norm) * (1 - 2 ** -22);
  const clipped = new Float32Array(delta.length);
  for (let i = 0; i < delta.length; i++) clipped[i] = delta[i]! * scale;
  return { clipped, norm, wasClipped: true };
}

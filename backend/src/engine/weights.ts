import * as tf from "@tensorflow/tfjs";
import { modelLabel, paramSpecs, parameterCount, type ModelRef } from "./models/model-ref.js";
import { Rng } from "./rng.js";

/**
 * Flat weight vectors: every model's parameters concatenated, row-major, in `paramSpecs` order
 * (conv1.kernel [kh,kw,cin,cout], conv1.bias, ..., last bias). This is the ONE format weights
 * take outside a worker (aggregation, hashing, storage, transfer).
 */

/** Deterministic initial weights: Glorot-uniform kernels, zero biases, from `seed`. */
export function initialWeights(kind: ModelRef, seed: number): Float32Array {
  const out = new Float32Array(parameterCount(kind));
  const rng = new Rng(seed);
  let off = 0;
  for (const p of paramSpecs(kind)) {
    const size = p.shape.reduce((a, b) => a * b, 1);
    if (p.init === "glorot") {
      const limit = Math.sqrt(6 / (p.fanIn + p.fanOut));
      for (let i = 0; i < size; i++) out[off + i] = (2 * rng.next() - 1) * limit;
    }
    off += size;
  }
  return out;
}

/** Splits a flat vector into tensors of the model's parameter shapes (caller disposes them). */
export function unflattenWeights(kind: ModelRef, flat: Float32Array): tf.Tensor[] {
  const expected = parameterCount(kind);
  if (flat.length !== expected)
    throw new RangeError(
      `weights for "${modelLabel(kind)}" must have ${expected} values, got ${flat.length}`,
    );
  const out: tf.Tensor[] = [];
  let off = 0;
  for (const p of paramSpecs(kind)) {
    const size = p.shape.reduce((a, b) => a * b, 1);
    out.push(tf.tensor(flat.subarray(off, off + size), p.shape, "float32"));
    off += size;
  }
  return out;
}

/** Concatenates parameter tensors (in `paramSpecs` order) into one new flat vector. */
export function flattenWeights(tensors: readonly tf.Tensor[]): Float32Array {
  const total = tensors.reduce((s, t) => s + t.size, 0);
  const out = new Float32Array(total);
  let off = 0;
  for (const t of tensors) {
    out.set(t.dataSync() as Float32Array, off);
    off += t.size;
  }
  return out;
}

/**
 * Assigns a flat vector to existing tf.Variables of the model's shapes, in place (for callers
 * that keep the model in variables; the trainer itself works on plain tensors).
 */
export function loadFlatWeights(kind: ModelRef, target: tf.Variable[], flat: Float32Array): void {
  const parts = unflattenWeights(kind, flat);
  try {
    parts.forEach((t, i) => {
      const v = target[i];
      if (!v)
        throw new RangeError(
          `model "${modelLabel(kind)}" has ${parts.length} tensors, got ${target.length}`,
        );
      v.assign(t);
    });
  } finally {
    parts.forEach((t) => t.dispose());
  }
}

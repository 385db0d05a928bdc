/**
 * Remembers what a run's evaluations measured, so no model is evaluated twice on the same split.
 *
 * A round evaluates its start model on the validation split for the round's record AND for the
 * reward policy's baseline, and the start model is the previous round's new model, which was
 * evaluated there already; policies that score the full aggregate evaluate the new model again.
 * With the cache a round at n updates under loss-improvement costs n + 1 validation passes
 * (the updates and the new model) instead of n + 3, and the passes a call still needs go to the
 * workers as one batch (identical models in a call are evaluated once).
 *
 * The key is the SHA-256 of the weights' bytes with the model and the split (hashed on libuv's
 * thread pool: a round's models are hundreds of MB, the event loop serves the API), never an
 * array's identity: a caller that changes an array in place, or a node that sends bytes equal to another
 * model, gets the loss of exactly those bytes. Losses are deterministic (same weights, same
 * split, same engine), so a hit returns what a fresh evaluation would.
 */
import { webcrypto } from "node:crypto";
import type { ModelRef } from "./models/model-ref.js";
import type { EvalOutcome, TrainingEngine } from "./port.js";

type Split = "test" | "validation";

/** Entries kept (least recently used dropped first): a few rounds' models. */
const DEFAULT_CAPACITY = 4096;

export interface EvaluationCacheStats {
  /** Models asked for. */
  requested: number;
  /** Models the engine evaluated. */
  evaluated: number;
}

export class EvaluationCache {
  private readonly entries = new Map<string, EvalOutcome>();
  readonly stats: EvaluationCacheStats = { requested: 0, evaluated: 0 };

  constructor(
    private readonly inner: Pick<TrainingEngine, "evaluateMany">,
    private readonly capacity = DEFAULT_CAPACITY,
  ) {}

  async evaluate(model: ModelRef, weights: Float32Array, split: Split): Promise<EvalOutcome> {
    const [r] = await this.evaluateMany(model, [weights], split);
    return r!;
  }

  /** Results in the order of `weights`; only models not seen before reach the engine. */
  async evaluateMany(
    model: ModelRef,
    weights: Float32Array[],
    split: Split,
  ): Promise<EvalOutcome[]> {
    this.stats.requested += weights.length;
    const scope = `${typeof model === "string" ? model : JSON.stringify(model)}\u0000${split}\u0000`;
    const keys = await Promise.all(weights.map(async (w) => scope + (await sha256Hex(w))));
    const found = new Map<string, EvalOutcome>();
    const missing = new Map<string, Float32Array>();
    keys.forEach((k, i) => {
      const hit = this.entries.get(k);
      if (hit) {
        found.set(k, hit);
        // Most recently used last.
        this.entries.delete(k);
        this.entries.set(k, hit);
      } else if (!missing.has(k)) missing.set(k, weights[i]!);
    });
    if (missing.size > 0) {
      const results = await this.inner.evaluateMany(model, [...missing.values()], split);
      this.stats.evaluated += missing.size;
      [...missing.keys()].forEach((k, i) => {
        found.set(k, results[i]!);
        this.remember(k, results[i]!);
      });
    }
    return keys.map((k) => ({ ...found.get(k)! }));
  }

  private remember(key: string, result: EvalOutcome): void {
    this.entries.delete(key);
    this.entries.set(key, { ...result });
    while (this.entries.size > this.capacity) {
      this.entries.delete(this.entries.keys().next().value!);
    }
  }
}

/** SHA-256 of a vector's bytes, off the event loop (WebCrypto copies the bytes when called). */
async function sha256Hex(w: Float32Array): Promise<string> {
  const digest = await webcrypto.subtle.digest(
    "SHA-256",
    new Uint8Array(w.buffer, w.byteOffset, w.byteLength),
  );
  return Buffer.from(digest).toString("hex");
}

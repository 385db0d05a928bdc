// Fetches an artifact and checks it against the hash the chain (or the spec) names: the audit
// trusts no source, so bytes that do not hash to what was committed are reported, never used.
import type { Hex } from "viem";
import type { RecomputeSource } from "./recompute-types.js";

export type Fetched =
  | { ok: true; bytes: Uint8Array; weights: () => Float32Array }
  | { ok: false; status: "artifact-missing" | "artifact-corrupt"; detail: string };

export interface FetchContext {
  source: RecomputeSource;
  hash: (bytes: Uint8Array) => Hex;
}

/** Bytes as float32 (copied when not 4-byte aligned). */
function asFloats(bytes: Uint8Array): Float32Array {
  if (bytes.byteLength % 4 !== 0)
    throw new Error(`${bytes.byteLength} bytes are not a float32 weight vector`);
  if (bytes.byteOffset % 4 === 0)
    return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  return new Float32Array(bytes.slice().buffer);
}

export async function fetchVerified(ctx: FetchContext, hash: Hex): Promise<Fetched> {
  let answer;
  try {
    answer = await ctx.source.get(hash);
  } catch (err) {
    return { ok: false, status: "artifact-missing", detail: `${hash}: ${(err as Error).message}` };
  }
  if ("missing" in answer)
    return { ok: false, status: "artifact-missing", detail: `${hash}: ${answer.missing}` };
  const actual = ctx.hash(answer.bytes);
  if (actual.toLowerCase() !== hash.toLowerCase())
    return {
      ok: false,
      status: "artifact-corrupt",
      detail: `${ctx.source.name} served bytes hashing to ${actual}, not the committed ${hash}`,
    };
  const bytes = answer.bytes;
  return { ok: true, bytes, weights: () => asFloats(bytes) };
}

/**
 * A source that keeps its last answers: a round's start model is the previous round's model,
 * fetched before that round's updates (24 CNN artifacts are 160 MB).
 */
export function cachedSource(inner: RecomputeSource, size = 24): RecomputeSource {
  const cache = new Map<string, Awaited<ReturnType<RecomputeSource["get"]>>>();
  return {
    name: inner.name,
    refs: (runId) => inner.refs(runId),
    async get(hash) {
      const key = hash.toLowerCase();
      const hit = cache.get(key);
      if (hit) return hit;
      const answer = await inner.get(hash);
      cache.set(key, answer);
      if (cache.size > size) cache.delete(cache.keys().next().value!);
      return answer;
    },
  };
}

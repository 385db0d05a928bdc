// Artifacts from a coordinator's public, read-only endpoints (GET /api/artifacts/:hash and
// GET /api/runs/:id/artifacts). Works in Node and in the browser; the audit checks every byte.
import type { Hex } from "viem";
import type { ArtifactReference, RecomputeSource, SourceAnswer } from "./recompute-types.js";

/**
 * GETs are idempotent: a connection the server closed while the audit was evaluating (keep-alive
 * timeout) fails the first attempt with a network error, not an HTTP status, so retry those.
 */
async function fetchWithRetry(get: (url: string) => Promise<Response>, url: string) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await get(url);
    } catch (err) {
      if (attempt >= 3) throw err;
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }
}

export function httpSource(baseUrl: string, init: { fetch?: typeof fetch } = {}): RecomputeSource {
  const base = baseUrl.replace(/\/+$/, "");
  const plain = init.fetch ?? ((url: string) => fetch(url));
  const get = (url: string) => fetchWithRetry(plain, url);
  return {
    name: base || "this coordinator",
    async get(hash: Hex): Promise<SourceAnswer> {
      const res = await get(`${base}/api/artifacts/${hash}`);
      if (res.ok) return { bytes: new Uint8Array(await res.arrayBuffer()) };
      const body = (await res.json().catch(() => ({}))) as { message?: string };
      if (res.status === 404 || res.status === 410)
        return { missing: `${res.status} ${body.message ?? res.statusText}` };
      throw new Error(
        `GET /api/artifacts/${hash}: ${res.status} ${body.message ?? res.statusText}`,
      );
    },
    async refs(runId: string): Promise<ArtifactReference[]> {
      const res = await get(`${base}/api/runs/${encodeURIComponent(runId)}/artifacts`);
      if (!res.ok) throw new Error(`GET /api/runs/${runId}/artifacts: ${res.status}`);
      return (await res.json()) as ArtifactReference[];
    },
  };
}

// The model registry: every round's global model is a version (round 0 is the run's start model),
// stored in the artifact store under the hash the chain records for the round. Versions are listed
// with their round's test metrics and chain transaction, resolved by number, "best" or "last", and
// thinned by the run's retention policy (the best and the latest are always kept).
import type { Hex } from "viem";
import type { RetentionSpec } from "../domain/index.js";
import type { SqlExecutor } from "../store/sql-database.js";
import type { ArtifactStore } from "./artifact-store.js";

export interface ModelVersion {
  round: number;
  hash: Hex;
  testAccuracy: number | null;
  testLoss: number | null;
  txHash: string | null;
  bytes: number;
  /** Whether its weights are still stored (retention may have pruned them). */
  stored: boolean;
}

interface Row {
  [k: string]: unknown;
  round: number;
  hash: Hex;
  test_accuracy: number | null;
  test_loss: number | null;
  tx_hash: string | null;
  bytes: number | null;
  pruned_at: number | null;
}

/** A run's model versions, oldest first. */
export async function listVersions(db: SqlExecutor, runId: string): Promise<ModelVersion[]> {
  const rows = await db.query<Row>(
    `SELECT r.round, r.hash, rd.test_accuracy, rd.test_loss, rd.tx_hash, a.bytes, a.pruned_at
     FROM artifact_refs r
     LEFT JOIN rounds rd ON rd.run_id = r.run_id AND rd.round = r.round
     LEFT JOIN artifacts a ON a.hash = r.hash
     WHERE r.run_id = $1 AND r.kind = 'model' ORDER BY r.round`,
    [runId],
  );
  return rows.map((r) => ({
    round: Number(r.round),
    hash: r.hash,
    testAccuracy: r.test_accuracy === null ? null : Number(r.test_accuracy),
    testLoss: r.test_loss === null ? null : Number(r.test_loss),
    txHash: r.tx_hash,
    bytes: Number(r.bytes ?? 0),
    stored: r.bytes !== null && r.pruned_at === null,
  }));
}

/**
 * The best version: the highest test accuracy among stored rounds (the latest among ties). Round 0
 * (the start model) has no test metric unless the caller supplies one (`withStart`).
 */
export function bestOf(
  versions: readonly ModelVersion[],
  withStart = false,
): ModelVersion | undefined {
  let best: ModelVersion | undefined;
  for (const v of versions) {
    if ((v.round === 0 && !withStart) || v.testAccuracy === null || !v.stored) continue;
    if (!best || v.testAccuracy >= best.testAccuracy!) best = v;
  }
  return best;
}

/** A version by round number, "best" or "last"; undefined when the run has no such version. */
export async function resolveVersion(
  db: SqlExecutor,
  runId: string,
  which: number | "best" | "last",
): Promise<ModelVersion | undefined> {
  const versions = await listVersions(db, runId);
  if (which === "best") return bestOf(versions);
  if (which === "last") return versions.at(-1);
  return versions.find((v) => v.round === which);
}

/** Stores round `round`'s global model as a version of `runId`. */
export async function storeVersion(
  db: SqlExecutor,
  store: ArtifactStore,
  runId: string,
  round: number,
  weights: Float32Array,
  hash?: Hex,
): Promise<Hex> {
  const bytes = new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength);
  const stored = await store.put(db, "model", bytes, hash);
  await store.ref(db, { runId, round, kind: "model", hash: stored });
  return stored;
}

/**
 * Prunes what the run's retention policy no longer keeps after `round`: model versions (never
 * the latest, the best, or one another run starts from) and older rounds' updates. Metadata stays.
 */
export async function applyRetention(
  db: SqlExecutor,
  store: ArtifactStore,
  runId: string,
  retention: RetentionSpec,
  round: number,
  keepBest = true,
): Promise<number> {
  let pruned = 0;
  const versions = (await listVersions(db, runId)).filter((v) => v.stored);
  const best = keepBest ? bestOf(versions) : undefined;
  const keep = (v: ModelVersion): boolean => {
    if (v.round === round || v.round === 0 || v.hash === best?.hash) return true;
    const m = retention.models;
    if (m.keep === "all") return true;
    if (m.keep === "every") return v.round % m.k === 0;
    return v.round > round - m.last;
  };
  for (const v of versions) {
    if (keep(v) || (await wantedElsewhere(db, v.hash, runId, v.round))) continue;
    await store.prune(db, v.hash);
    pruned++;
  }
  if (retention.updates.keep === "last") {
    const old = await db.query<{ hash: Hex; round: number }>(
      `SELECT hash, round FROM artifact_refs WHERE run_id = $1 AND kind = 'update' AND round <= $2`,
      [runId, round - retention.updates.rounds],
    );
    for (const u of old) {
      if (await wantedElsewhere(db, u.hash, runId, u.round)) continue;
      await store.prune(db, u.hash);
      pruned++;
    }
  }
  return pruned;
}

/**
 * Another run (or round) owns the same bytes (a warm start, an identical update). "start" refs only
 * point at versions a round began from; they own nothing.
 */
async function wantedElsewhere(db: SqlExecutor, hash: Hex, runId: string, round: number) {
  const rows = await db.query<{ n: number }>(
    `SELECT COUNT(*) AS n FROM artifact_refs
     WHERE hash = $1 AND kind <> 'start' AND NOT (run_id = $2 AND round = $3)`,
    [hash, runId, round],
  );
  return Number(rows[0]?.n ?? 0) > 0;
}

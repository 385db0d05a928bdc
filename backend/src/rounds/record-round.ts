import type { Hex } from "viem";
import type { RecordRoundPayload } from "../chain/outbox-payloads.js";
import type { RoundRecord } from "../domain/index.js";
import { checkpointsRepo } from "../store/repos/checkpoints-repo.js";
import { contributionsRepo } from "../store/repos/contributions-repo.js";
import { outboxRepo } from "../store/repos/outbox-repo.js";
import { roundsRepo } from "../store/repos/rounds-repo.js";
import { runsRepo } from "../store/repos/runs-repo.js";
import { applyRetention } from "../artifacts/model-versions.js";
import type { ArtifactStore } from "../artifacts/artifact-store.js";
import type { SqlExecutor } from "../store/sql-database.js";
import type { RoundDeps, RunState } from "./run-state.js";

const bytesOf = (w: Float32Array) => new Uint8Array(w.buffer, w.byteOffset, w.byteLength);
import type { ScoredRound } from "./score-contributions.js";

/**
 * Record step: the round, its contributions, the checkpoint it resumes from and its chain write,
 * in one transaction, so a crash leaves either all of them or none. The chain write itself is sent
 * later by the recorder from the outbox, so training never waits for the chain.
 */
export async function recordRound(
  deps: Pick<RoundDeps, "db" | "artifacts" | "keepRoundArtifacts">,
  run: RunState,
  record: RoundRecord & { modelHash: Hex },
  scored: ScoredRound,
  next: Float32Array,
  /** Each update's bytes as its node signed them (raw float32 weights, or a compressed payload). */
  updates: readonly { nodeId: string; bytes: Uint8Array; hash: Hex }[],
  /** The model the round started from (a stored version: the previous one, or the best after a rollback). */
  startHash: Hex,
): Promise<void> {
  const { db, artifacts } = deps;
  const keep = deps.keepRoundArtifacts !== false;
  // Files first (content-addressed, idempotent): the new model version and each scored update.
  if (keep) {
    // Both hashes were computed from these bytes in this round (the model's by executeRound, each
    // update's by its validation), so the store does not hash them again.
    await artifacts.writeHashed(bytesOf(next), record.modelHash);
    for (const u of updates) await artifacts.writeHashed(u.bytes, u.hash);
  }
  const payload: RecordRoundPayload = {
    chainRunId: run.chainRunId,
    round: record.round,
    modelHash: record.modelHash,
    contributions: scored.onChain,
  };
  await db.transaction(async (tx) => {
    await roundsRepo.finish(tx, record);
    await contributionsRepo.insertMany(tx, scored.contributions);
    await checkpointsRepo.save(tx, run.runId, {
      round: record.round,
      modelHash: record.modelHash,
      // The version just written to the artifact store is the checkpoint; without it, a copy here.
      weights: keep ? null : next,
      optimizerState: run.strategy.saveState(),
      ...(run.privacy ? { privacyState: run.privacy.toJSON() } : {}),
    });
    if (scored.contributions.length > 0) {
      await outboxRepo.enqueue(tx, {
        id: `record-round:${run.runId}:${record.round}`,
        kind: "record-round",
        runId: run.runId,
        round: record.round,
        payload,
      });
    }
    await runsRepo.setCompletedRounds(tx, run.runId, record.round);
    if (keep) await indexRoundArtifacts(tx, artifacts, run.runId, record, next, updates, startHash);
  });
  if (!keep) return;
  await applyRetention(
    db,
    artifacts,
    run.runId,
    run.config.retention,
    record.round,
    run.config.keepBest,
  );
}

/** The round's model version, its start model and its updates, indexed and referenced. */
async function indexRoundArtifacts(
  tx: SqlExecutor,
  artifacts: ArtifactStore,
  runId: string,
  record: { round: number; modelHash: Hex },
  next: Float32Array,
  updates: readonly { nodeId: string; bytes: Uint8Array; hash: Hex }[],
  startHash: Hex,
): Promise<void> {
  await artifacts.index(tx, "model", record.modelHash, next.byteLength);
  await artifacts.ref(tx, {
    runId,
    round: record.round,
    kind: "model",
    hash: record.modelHash,
  });
  await artifacts.ref(tx, {
    runId,
    round: record.round,
    kind: "start",
    hash: startHash,
  });
  for (const u of updates) {
    await artifacts.index(tx, "update", u.hash, u.bytes.byteLength);
    await artifacts.ref(tx, {
      runId,
      round: record.round,
      kind: "update",
      nodeId: u.nodeId,
      hash: u.hash,
    });
  }
}

import type { Hex } from "viem";
import type { RecordRoundPayload } from "../chain/outbox-payloads.js";
import type { RoundRecord } from "../domain/index.js";
import { checkpointsRepo } from "../store/repos/checkpoints-repo.js";
import { contributionsRepo } from "../store/repos/contributions-repo.js";
import { outboxRepo } from "../store/repos/outbox-repo.js";
import { roundsRepo } from "../store/repos/rounds-repo.js";
import { runsRepo } from "../store/repos/runs-repo.js";
import type { SqlDatabase } from "../store/sql-database.js";
import type { RunState } from "./run-state.js";
import type { ScoredRound } from "./score-contributions.js";

/**
 * Record step: the round, its contributions, the checkpoint it resumes from and its chain write,
 * in one transaction, so a crash leaves either all of them or none. The chain write itself is sent
 * later by the recorder from the outbox, so training never waits for the chain.
 */
export async function recordRound(
  db: SqlDatabase,
  run: RunState,
  record: RoundRecord & { modelHash: Hex },
  scored: ScoredRound,
  next: Float32Array,
): Promise<void> {
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
      weights: next,
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
  });
}

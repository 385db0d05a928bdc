import type { RoundRecord } from "../domain/index.js";
import type { RunEvents } from "../events/run-events.js";
import { roundsRepo } from "../store/repos/rounds-repo.js";
import type { SqlDatabase } from "../store/sql-database.js";

/** The round has begun: stored as training, and told to the dashboard. */
export async function publishRoundStarted(
  db: SqlDatabase,
  events: RunEvents,
  runId: string,
  round: number,
  participants: string[],
): Promise<void> {
  await roundsRepo.start(db, runId, round, participants);
  await events.publish({ type: "round-started", runId, round, participants });
}

/** Publish step: the recorded round, as the dashboard's live view shows it. */
export async function publishRoundAggregated(
  events: RunEvents,
  record: RoundRecord,
): Promise<void> {
  const kept = record.updates.filter((u) => u.accepted).length;
  await events.publish({
    type: "round-aggregated",
    runId: record.runId,
    round: record.round,
    testLoss: record.testLoss!,
    testAccuracy: record.testAccuracy!,
    accepted: kept,
    rejected: record.updates.length - kept,
    modelHash: record.modelHash!,
    durationMs: record.durationMs!,
    ...(record.traffic ? { traffic: record.traffic } : {}),
  });
}

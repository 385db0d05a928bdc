import type { RoundRecord, UpdateOutcome } from "../../domain/index.js";
import type { SqlExecutor } from "../sql-database.js";

interface RoundRow {
  [k: string]: unknown;
  run_id: string;
  round: number;
  status: RoundRecord["status"];
  started_at: number;
  finished_at: number | null;
  duration_ms: number | null;
  test_loss: number | null;
  test_accuracy: number | null;
  validation_loss_before: number | null;
  validation_loss_after: number | null;
  participants: string;
  updates: string;
  model_hash: string | null;
  tx_hash: string | null;
  /** JSON: { aggregation, privacy, traffic? } (migration 3; null before it). */
  details: string | null;
}

function fromRow(r: RoundRow): RoundRecord {
  return {
    runId: r.run_id,
    round: Number(r.round),
    status: r.status,
    startedAt: Number(r.started_at),
    finishedAt: r.finished_at === null ? null : Number(r.finished_at),
    durationMs: r.duration_ms === null ? null : Number(r.duration_ms),
    testLoss: r.test_loss,
    testAccuracy: r.test_accuracy,
    validationLossBefore: r.validation_loss_before,
    validationLossAfter: r.validation_loss_after,
    participants: JSON.parse(r.participants) as string[],
    updates: JSON.parse(r.updates) as UpdateOutcome[],
    modelHash: r.model_hash,
    txHash: r.tx_hash,
    ...(r.details
      ? (JSON.parse(r.details) as Pick<RoundRecord, "aggregation" | "privacy" | "traffic">)
      : {}),
  };
}

export const roundsRepo = {
  async start(
    db: SqlExecutor,
    runId: string,
    round: number,
    participants: string[],
  ): Promise<void> {
    // A round left in "training" by a crash is redone from the checkpoint: replace it.
    await db.execute(
      "DELETE FROM rounds WHERE run_id = $1 AND round = $2 AND status = 'training'",
      [runId, round],
    );
    await db.execute(
      `INSERT INTO rounds (run_id, round, status, started_at, participants, updates) VALUES ($1, $2, 'training', $3, $4, '[]')`,
      [runId, round, Date.now(), JSON.stringify(participants)],
    );
  },
  async finish(db: SqlExecutor, r: RoundRecord): Promise<void> {
    await db.execute(
      `UPDATE rounds SET status = $3, finished_at = $4, duration_ms = $5, test_loss = $6, test_accuracy = $7,
         validation_loss_before = $8, validation_loss_after = $9, updates = $10, model_hash = $11,
         details = $12
       WHERE run_id = $1 AND round = $2`,
      [
        r.runId,
        r.round,
        r.status,
        r.finishedAt,
        r.durationMs,
        r.testLoss,
        r.testAccuracy,
        r.validationLossBefore,
        r.validationLossAfter,
        JSON.stringify(r.updates),
        r.modelHash,
        JSON.stringify({
          aggregation: r.aggregation ?? "plain",
          privacy: r.privacy ?? null,
          ...(r.traffic ? { traffic: r.traffic } : {}),
        }),
      ],
    );
  },
  async markRecorded(db: SqlExecutor, runId: string, round: number, txHash: string): Promise<void> {
    await db.execute(
      "UPDATE rounds SET status = 'recorded', tx_hash = $3 WHERE run_id = $1 AND round = $2",
      [runId, round, txHash],
    );
  },
  async list(db: SqlExecutor, runId: string): Promise<RoundRecord[]> {
    return (
      await db.query<RoundRow>("SELECT * FROM rounds WHERE run_id = $1 ORDER BY round", [runId])
    ).map(fromRow);
  },
  async latest(db: SqlExecutor, runId: string): Promise<RoundRecord | undefined> {
    const [row] = await db.query<RoundRow>(
      "SELECT * FROM rounds WHERE run_id = $1 AND status <> 'training' ORDER BY round DESC LIMIT 1",
      [runId],
    );
    return row ? fromRow(row) : undefined;
  },
};

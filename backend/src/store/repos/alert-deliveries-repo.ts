import type { SqlExecutor } from "../sql-database.js";

interface Row {
  [k: string]: unknown;
  id: number;
  alert_id: number;
  change: string;
  target: string;
  payload: string;
  status: string;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  created_at: number;
  delivered_at: number | null;
}

export interface AlertDelivery {
  id: number;
  alertId: number;
  change: string;
  /** The webhook target as configured (its index's URL is looked up by the sender). */
  target: string;
  payload: unknown;
  status: "pending" | "delivered" | "failed";
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  deliveredAt: number | null;
}

const fromRow = (r: Row): AlertDelivery => ({
  id: Number(r.id),
  alertId: Number(r.alert_id),
  change: r.change,
  target: r.target,
  payload: JSON.parse(r.payload) as unknown,
  status: r.status as AlertDelivery["status"],
  attempts: Number(r.attempts),
  nextAttemptAt: Number(r.next_attempt_at),
  lastError: r.last_error,
  deliveredAt: r.delivered_at === null ? null : Number(r.delivered_at),
});

/**
 * Webhook deliveries of alert changes (migration 10): written in the transaction that raises or
 * clears the alert, then sent by the webhook sender with retries, so a restart loses none.
 */
export const alertDeliveriesRepo = {
  async enqueue(
    db: SqlExecutor,
    d: { alertId: number; change: string; target: string; payload: unknown },
    at: number,
  ): Promise<void> {
    await db.execute(
      `INSERT INTO alert_deliveries (alert_id, change, target, payload, status, attempts, next_attempt_at, created_at)
       VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5)`,
      [d.alertId, d.change, d.target, JSON.stringify(d.payload), at],
    );
  },
  /** Pending deliveries due by `now`, oldest first. */
  async due(db: SqlExecutor, now: number, limit: number): Promise<AlertDelivery[]> {
    const rows = await db.query<Row>(
      `SELECT * FROM alert_deliveries WHERE status = 'pending' AND next_attempt_at <= $1
        ORDER BY id LIMIT $2`,
      [now, limit],
    );
    return rows.map(fromRow);
  },
  async delivered(db: SqlExecutor, id: number, attempts: number, at: number): Promise<void> {
    await db.execute(
      "UPDATE alert_deliveries SET status = 'delivered', attempts = $2, delivered_at = $3, last_error = NULL WHERE id = $1",
      [id, attempts, at],
    );
  },
  /** A failed attempt: retried at `nextAttemptAt`, or given up (`failed`) when null. */
  async attemptFailed(
    db: SqlExecutor,
    id: number,
    attempts: number,
    error: string,
    nextAttemptAt: number | null,
  ): Promise<void> {
    if (nextAttemptAt === null) {
      await db.execute(
        "UPDATE alert_deliveries SET status = 'failed', attempts = $2, last_error = $3 WHERE id = $1",
        [id, attempts, error.slice(0, 500)],
      );
      return;
    }
    await db.execute(
      "UPDATE alert_deliveries SET attempts = $2, last_error = $3, next_attempt_at = $4 WHERE id = $1",
      [id, attempts, error.slice(0, 500), nextAttemptAt],
    );
  },
  async forAlert(db: SqlExecutor, alertId: number): Promise<AlertDelivery[]> {
    const rows = await db.query<Row>(
      "SELECT * FROM alert_deliveries WHERE alert_id = $1 ORDER BY id",
      [alertId],
    );
    return rows.map(fromRow);
  },
  async counts(db: SqlExecutor): Promise<Record<AlertDelivery["status"], number>> {
    const rows = await db.query<{ status: string; n: number }>(
      "SELECT status, COUNT(*) AS n FROM alert_deliveries GROUP BY status",
    );
    const out = { pending: 0, delivered: 0, failed: 0 };
    for (const r of rows) out[r.status as AlertDelivery["status"]] = Number(r.n);
    return out;
  },
};

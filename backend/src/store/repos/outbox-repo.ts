import type { SqlExecutor, SqlValue } from "../sql-database.js";

import type { OutboxKind } from "../../chain/outbox-payloads.js";

export type { OutboxKind } from "../../chain/outbox-payloads.js";
export type OutboxStatus = "pending" | "confirmed" | "failed";

export interface OutboxItem {
  id: string;
  /** Send order: strictly increasing in enqueue order. */
  seq: number;
  /**
   * Items of one lane go out strictly in seq order; lanes are independent. A run's writes share
   * the run's lane (its registration, its simulated nodes', its rounds); a remote node's
   * registration has a lane of its own.
   */
  lane: string;
  kind: OutboxKind;
  runId: string;
  round: number | null;
  payload: unknown;
  status: OutboxStatus;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  txHash: string | null;
  createdAt: number;
}

interface Row {
  [k: string]: unknown;
  id: string;
  seq: number;
  /**
   * Items of one lane go out strictly in seq order; lanes are independent. A run's writes share
   * the run's lane (its registration, its simulated nodes', its rounds); a remote node's
   * registration has a lane of its own.
   */
  lane: string;
  kind: OutboxKind;
  run_id: string;
  round: number | null;
  payload: string;
  status: OutboxStatus;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  tx_hash: string | null;
  created_at: number;
}

const fromRow = (r: Row): OutboxItem => ({
  id: r.id,
  seq: Number(r.seq),
  lane: r.lane,
  kind: r.kind,
  runId: r.run_id,
  round: r.round === null ? null : Number(r.round),
  payload: JSON.parse(r.payload),
  status: r.status,
  attempts: Number(r.attempts),
  nextAttemptAt: Number(r.next_attempt_at),
  lastError: r.last_error,
  txHash: r.tx_hash,
  createdAt: Number(r.created_at),
});

/**
 * Chain writes waiting to be sent. An item is written in the same transaction as the state it
 * records, before anything is sent; its id makes enqueueing idempotent.
 */
export const outboxRepo = {
  async enqueue(
    db: SqlExecutor,
    item: {
      id: string;
      kind: OutboxKind;
      runId: string;
      round?: number;
      payload: unknown;
      /** Default: the run's lane, or the item's own when it belongs to no run. */
      lane?: string;
    },
  ): Promise<void> {
    const now = Date.now();
    const exists = await db.query("SELECT id FROM outbox WHERE id = $1", [item.id]);
    if (exists.length > 0) return;
    // PostgreSQL draws from a sequence (other connections may enqueue at the same time); SQLite
    // has one writer, so the next number is the largest plus one.
    const [columns, seq] =
      db.dialect === "postgres"
        ? ["", ""]
        : [", seq", ", (SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox)"];
    await db.execute(
      `INSERT INTO outbox (id, kind, run_id, round, payload, status, attempts, next_attempt_at, created_at, updated_at, lane${columns})
       VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $6, $6, $7${seq})`,
      [
        item.id,
        item.kind,
        item.runId,
        item.round ?? null,
        JSON.stringify(item.payload),
        now,
        item.lane ?? (item.runId || item.id),
      ],
    );
  },
  /**
   * The first pending item in enqueue order; items are sent strictly in that order, so a run is
   * registered before its rounds are recorded and its rounds go out in order. (Ordering by
   * timestamp let two items enqueued in one millisecond go out by id, `record-round` before
   * `register-run`, and the round then waited forever for the run.)
   */
  async nextPending(db: SqlExecutor, now = Date.now()): Promise<OutboxItem | undefined> {
    // The oldest lane head that is due: a head waiting out its backoff holds back its lane only.
    const [row] = await db.query<Row>(
      `SELECT * FROM outbox o
       WHERE o.status = 'pending' AND o.next_attempt_at <= $1
         AND NOT EXISTS (
           SELECT 1 FROM outbox p WHERE p.lane = o.lane AND p.status = 'pending' AND p.seq < o.seq
         )
       ORDER BY o.seq LIMIT 1`,
      [now],
    );
    return row ? fromRow(row) : undefined;
  },
  async get(db: SqlExecutor, id: string): Promise<OutboxItem | undefined> {
    const [row] = await db.query<Row>("SELECT * FROM outbox WHERE id = $1", [id]);
    return row ? fromRow(row) : undefined;
  },
  /**
   * The oldest write that has been failing for longer than `olderThanMs` (health turns degraded
   * with its reason), or null.
   */
  async stuck(
    db: SqlExecutor,
    olderThanMs: number,
  ): Promise<{ id: string; sinceMs: number; attempts: number; lastError: string | null } | null> {
    const [row] = await db.query<Row>(
      `SELECT * FROM outbox WHERE status = 'pending' AND attempts > 0 AND created_at < $1
       ORDER BY seq LIMIT 1`,
      [Date.now() - olderThanMs],
    );
    if (!row) return null;
    return {
      id: row.id,
      sinceMs: Date.now() - Number(row.created_at),
      attempts: Number(row.attempts),
      lastError: row.last_error,
    };
  },
  /** Items by status and run, newest first. */
  async list(
    db: SqlExecutor,
    q: { status?: OutboxStatus | undefined; run?: string | undefined; limit: number },
  ): Promise<OutboxItem[]> {
    const where: string[] = [];
    const args: SqlValue[] = [];
    if (q.status) where.push(`status = $${args.push(q.status)}`);
    if (q.run) where.push(`run_id = $${args.push(q.run)}`);
    const sql = `SELECT * FROM outbox ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
      ORDER BY seq DESC LIMIT $${args.push(q.limit)}`;
    return (await db.query<Row>(sql, args)).map(fromRow);
  },
  /** Per run: how many writes are pending and failed, and the last error of either. */
  async runCounts(
    db: SqlExecutor,
    runId: string,
  ): Promise<{ pending: number; failed: number; lastError: string | null }> {
    const rows = await db.query<{ status: OutboxStatus; n: number }>(
      "SELECT status, COUNT(*) AS n FROM outbox WHERE run_id = $1 AND status <> 'confirmed' GROUP BY status",
      [runId],
    );
    const [last] = await db.query<{ last_error: string | null }>(
      `SELECT last_error FROM outbox WHERE run_id = $1 AND status <> 'confirmed' AND last_error IS NOT NULL
       ORDER BY updated_at DESC LIMIT 1`,
      [runId],
    );
    const n = (s: OutboxStatus) => Number(rows.find((r) => r.status === s)?.n ?? 0);
    return { pending: n("pending"), failed: n("failed"), lastError: last?.last_error ?? null };
  },
  async confirm(db: SqlExecutor, id: string, txHash: string | null): Promise<void> {
    await db.execute(
      "UPDATE outbox SET status = 'confirmed', tx_hash = $2, last_error = NULL, updated_at = $3 WHERE id = $1",
      [id, txHash, Date.now()],
    );
  },
  async retryLater(
    db: SqlExecutor,
    id: string,
    error: string,
    nextAttemptAt: number,
  ): Promise<void> {
    await db.execute(
      "UPDATE outbox SET attempts = attempts + 1, last_error = $2, next_attempt_at = $3, updated_at = $4 WHERE id = $1",
      [id, error.slice(0, 2000), nextAttemptAt, Date.now()],
    );
  },
  async fail(db: SqlExecutor, id: string, error: string): Promise<void> {
    await db.execute(
      "UPDATE outbox SET status = 'failed', last_error = $2, updated_at = $3 WHERE id = $1",
      [id, error.slice(0, 2000), Date.now()],
    );
  },
  async counts(db: SqlExecutor): Promise<Record<OutboxStatus, number>> {
    const rows = await db.query<{ status: OutboxStatus; n: number }>(
      "SELECT status, COUNT(*) AS n FROM outbox GROUP BY status",
    );
    const out: Record<OutboxStatus, number> = { pending: 0, confirmed: 0, failed: 0 };
    for (const r of rows) out[r.status] = Number(r.n);
    return out;
  },
  /** When the oldest pending write was enqueued (ms), or null when none is pending. */
  async oldestPendingAt(db: SqlExecutor): Promise<number | null> {
    const [row] = await db.query<{ oldest: number | null }>(
      "SELECT MIN(created_at) AS oldest FROM outbox WHERE status = 'pending'",
    );
    return row?.oldest === null || row?.oldest === undefined ? null : Number(row.oldest);
  },
  /** Per run: pending and failed items, the oldest pending one's age and a failed one's error. */
  async problemsByRun(db: SqlExecutor): Promise<
    {
      runId: string;
      pending: number;
      oldestPendingAt: number | null;
      failed: number;
      failedError: string | null;
    }[]
  > {
    const rows = await db.query<{
      run_id: string;
      status: string;
      n: number;
      oldest: number | null;
      last_error: string | null;
    }>(
      `SELECT run_id, status, COUNT(*) AS n, MIN(created_at) AS oldest, MAX(last_error) AS last_error
         FROM outbox WHERE status IN ('pending', 'failed') GROUP BY run_id, status`,
    );
    const byRun = new Map<
      string,
      {
        runId: string;
        pending: number;
        oldestPendingAt: number | null;
        failed: number;
        failedError: string | null;
      }
    >();
    for (const r of rows) {
      const e = byRun.get(r.run_id) ?? {
        runId: r.run_id,
        pending: 0,
        oldestPendingAt: null,
        failed: 0,
        failedError: null,
      };
      if (r.status === "pending") {
        e.pending = Number(r.n);
        e.oldestPendingAt = r.oldest === null ? null : Number(r.oldest);
      } else {
        e.failed = Number(r.n);
        e.failedError = r.last_error;
      }
      byRun.set(r.run_id, e);
    }
    return [...byRun.values()];
  },
  async forRun(db: SqlExecutor, runId: string): Promise<OutboxItem[]> {
    return (
      await db.query<Row>("SELECT * FROM outbox WHERE run_id = $1 ORDER BY seq", [runId])
    ).map(fromRow);
  },
};

import type { Alert, AlertKind, AlertSeverity } from "../../domain/index.js";
import type { SqlExecutor } from "../sql-database.js";

interface Row {
  [k: string]: unknown;
  id: number;
  alert_key: string;
  kind: string;
  severity: string;
  run_id: string | null;
  node_id: string | null;
  message: string;
  action: string;
  raised_at: number;
  cleared_at: number | null;
  acknowledged_at: number | null;
}

/** An alert with the key its condition is known by (one active alert per key). */
export interface KeyedAlert extends Alert {
  key: string;
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

const fromRow = (r: Row): KeyedAlert => ({
  id: Number(r.id),
  key: r.alert_key,
  kind: r.kind as AlertKind,
  severity: r.severity as AlertSeverity,
  runId: r.run_id,
  nodeId: r.node_id,
  message: r.message,
  action: r.action,
  raisedAt: Number(r.raised_at),
  clearedAt: num(r.cleared_at),
  acknowledgedAt: num(r.acknowledged_at),
});

export type NewAlert = Omit<KeyedAlert, "id" | "raisedAt" | "clearedAt" | "acknowledgedAt">;

export interface AlertFilter {
  status: "active" | "unacknowledged" | "all";
  run?: string | undefined;
  limit: number;
}

const STATUS_SQL = {
  active: "cleared_at IS NULL",
  unacknowledged: "cleared_at IS NULL AND acknowledged_at IS NULL",
  all: "1 = 1",
} as const;

/**
 * Alerts (migration 10). A condition is known by its key; a unique index allows one uncleared
 * alert per key, so raising is idempotent even when two checks race.
 */
export const alertsRepo = {
  /** Inserts the alert unless one with its key is active; undefined when it was already. */
  async raise(db: SqlExecutor, a: NewAlert, at: number): Promise<KeyedAlert | undefined> {
    const rows = await db.query<Row>(
      `INSERT INTO alerts (alert_key, kind, severity, run_id, node_id, message, action, raised_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING RETURNING *`,
      [a.key, a.kind, a.severity, a.runId, a.nodeId, a.message, a.action, at],
    );
    return rows[0] ? fromRow(rows[0]) : undefined;
  },
  /** Clears the active alerts with these keys; returns those it cleared. */
  async clear(db: SqlExecutor, keys: readonly string[], at: number): Promise<KeyedAlert[]> {
    const out: KeyedAlert[] = [];
    for (const key of keys) {
      const rows = await db.query<Row>(
        "UPDATE alerts SET cleared_at = $2 WHERE alert_key = $1 AND cleared_at IS NULL RETURNING *",
        [key, at],
      );
      out.push(...rows.map(fromRow));
    }
    return out;
  },
  /** Active alerts whose key starts with `prefix`. */
  async activeUnder(db: SqlExecutor, prefix: string): Promise<KeyedAlert[]> {
    const rows = await db.query<Row>(
      "SELECT * FROM alerts WHERE cleared_at IS NULL AND substr(alert_key, 1, $2) = $1 ORDER BY id",
      [prefix, prefix.length],
    );
    return rows.map(fromRow);
  },
  async get(db: SqlExecutor, id: number): Promise<KeyedAlert | undefined> {
    const [row] = await db.query<Row>("SELECT * FROM alerts WHERE id = $1", [id]);
    return row ? fromRow(row) : undefined;
  },
  /** Sets acknowledged_at once; undefined for an unknown id. */
  async acknowledge(db: SqlExecutor, id: number, at: number): Promise<KeyedAlert | undefined> {
    await db.execute(
      "UPDATE alerts SET acknowledged_at = $2 WHERE id = $1 AND acknowledged_at IS NULL",
      [id, at],
    );
    return this.get(db, id);
  },
  async list(db: SqlExecutor, f: AlertFilter): Promise<KeyedAlert[]> {
    const params: (string | number)[] = [f.limit];
    let where = STATUS_SQL[f.status];
    if (f.run !== undefined) {
      params.push(f.run);
      where += " AND run_id = $2";
    }
    const rows = await db.query<Row>(
      `SELECT * FROM alerts WHERE ${where} ORDER BY id DESC LIMIT $1`,
      params,
    );
    return rows.map(fromRow);
  },
  async counts(db: SqlExecutor): Promise<{ active: number; unacknowledged: number }> {
    const [row] = await db.query<{ active: number | null; unacknowledged: number | null }>(
      `SELECT COUNT(*) AS active,
              SUM(CASE WHEN acknowledged_at IS NULL THEN 1 ELSE 0 END) AS unacknowledged
         FROM alerts WHERE cleared_at IS NULL`,
    );
    return { active: Number(row?.active ?? 0), unacknowledged: Number(row?.unacknowledged ?? 0) };
  },
  /** Every alert of a run, oldest first (the run's export). */
  async forRun(db: SqlExecutor, runId: string): Promise<KeyedAlert[]> {
    const rows = await db.query<Row>("SELECT * FROM alerts WHERE run_id = $1 ORDER BY id", [runId]);
    return rows.map(fromRow);
  },
};

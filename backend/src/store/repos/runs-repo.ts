import type { RunConfig, RunStatus, RunSummary } from "../../domain/index.js";
import type { SqlExecutor } from "../sql-database.js";

interface RunRow {
  [k: string]: unknown;
  id: string;
  name: string;
  config: string;
  status: RunStatus;
  completed_rounds: number;
  engine: string | null;
  error: string | null;
  chain_run_id: string | null;
  created_at: number;
  updated_at: number;
}

export type StoredRun = Omit<RunSummary, "latest" | "privacy" | "chainWrites" | "queuePosition">;

function fromRow(r: RunRow): StoredRun {
  // Runs stored before a field existed get its default.
  const config = { aggregation: { mode: "plain" }, ...JSON.parse(r.config) } as RunConfig;
  return {
    id: r.id,
    name: r.name,
    status: r.status,
    config,
    completedRounds: Number(r.completed_rounds),
    totalRounds: config.rounds,
    engine: r.engine,
    error: r.error,
    chainRunId: r.chain_run_id,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

export const runsRepo = {
  /** How many runs are in each status. */
  async countByStatus(db: SqlExecutor): Promise<Record<string, number>> {
    const rows = await db.query<{ status: string; n: number }>(
      "SELECT status, COUNT(*) AS n FROM runs GROUP BY status",
    );
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  },
  async insert(
    db: SqlExecutor,
    run: { id: string; name: string; config: RunConfig; chainRunId: string },
  ): Promise<void> {
    const now = Date.now();
    await db.execute(
      `INSERT INTO runs (id, name, config, status, completed_rounds, chain_run_id, created_at, updated_at)
       VALUES ($1, $2, $3, 'queued', 0, $4, $5, $5)`,
      [run.id, run.name, JSON.stringify(run.config), run.chainRunId, now],
    );
  },
  async get(db: SqlExecutor, id: string): Promise<StoredRun | undefined> {
    const [row] = await db.query<RunRow>("SELECT * FROM runs WHERE id = $1", [id]);
    return row ? fromRow(row) : undefined;
  },
  async list(db: SqlExecutor): Promise<StoredRun[]> {
    return (await db.query<RunRow>("SELECT * FROM runs ORDER BY created_at DESC, id")).map(fromRow);
  },
  async withStatus(db: SqlExecutor, statuses: RunStatus[]): Promise<StoredRun[]> {
    const marks = statuses.map((_, i) => `$${i + 1}`).join(", ");
    return (
      await db.query<RunRow>(
        `SELECT * FROM runs WHERE status IN (${marks}) ORDER BY created_at`,
        statuses,
      )
    ).map(fromRow);
  },
  async setStatus(
    db: SqlExecutor,
    id: string,
    status: RunStatus,
    error: string | null = null,
  ): Promise<void> {
    await db.execute("UPDATE runs SET status = $2, error = $3, updated_at = $4 WHERE id = $1", [
      id,
      status,
      error,
      Date.now(),
    ]);
  },
  /**
   * Moves a run to `to` only if it is in one of `from` now; false when it was not (someone else
   * moved it first). Every status change goes through here.
   */
  async transition(
    db: SqlExecutor,
    id: string,
    from: readonly RunStatus[],
    to: RunStatus,
    error: string | null = null,
  ): Promise<boolean> {
    const marks = from.map((_, i) => `$${i + 5}`).join(", ");
    const { changes } = await db.execute(
      `UPDATE runs SET status = $2, error = $3, updated_at = $4 WHERE id = $1 AND status IN (${marks})`,
      [id, to, error, Date.now(), ...from],
    );
    return changes > 0;
  },
  /** Queued runs, oldest first (the order the scheduler starts them in). */
  async queued(db: SqlExecutor): Promise<StoredRun[]> {
    return (
      await db.query<RunRow>("SELECT * FROM runs WHERE status = 'queued' ORDER BY created_at, id")
    ).map(fromRow);
  },
  async setEngine(db: SqlExecutor, id: string, engine: string): Promise<void> {
    await db.execute("UPDATE runs SET engine = $2, updated_at = $3 WHERE id = $1", [
      id,
      engine,
      Date.now(),
    ]);
  },
  async setCompletedRounds(db: SqlExecutor, id: string, rounds: number): Promise<void> {
    await db.execute("UPDATE runs SET completed_rounds = $2, updated_at = $3 WHERE id = $1", [
      id,
      rounds,
      Date.now(),
    ]);
  },
};

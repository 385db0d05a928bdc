import type { RunEvent } from "../../domain/index.js";
import type { SqlExecutor } from "../sql-database.js";

/** A run's event history, so a dashboard that connects late sees the whole run. */
export const eventsRepo = {
  async append(db: SqlExecutor, e: RunEvent): Promise<void> {
    await db.execute(
      "INSERT INTO run_events (run_id, type, payload, created_at) VALUES ($1, $2, $3, $4)",
      [e.runId, e.type, JSON.stringify(e), Date.now()],
    );
  },
  async list(db: SqlExecutor, runId: string, limit = 5000): Promise<RunEvent[]> {
    const rows = await db.query<{ payload: string }>(
      "SELECT payload FROM (SELECT id, payload FROM run_events WHERE run_id = $1 ORDER BY id DESC LIMIT $2) t ORDER BY id",
      [runId, limit],
    );
    return rows.map((r) => JSON.parse(r.payload) as RunEvent);
  },
};

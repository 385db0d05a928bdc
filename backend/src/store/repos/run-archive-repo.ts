import type { SqlExecutor } from "../sql-database.js";

/**
 * Archived runs (migration 8): hidden from run listings, everything else kept. The store keeps
 * their rounds and contributions (the audit compares them with the chain) and the chain keeps
 * every record it has.
 */
export const runArchiveRepo = {
  async archive(db: SqlExecutor, runId: string): Promise<void> {
    await db.execute(
      "INSERT INTO run_archive (run_id, archived_at) VALUES ($1, $2) ON CONFLICT (run_id) DO NOTHING",
      [runId, Date.now()],
    );
  },
  async unarchive(db: SqlExecutor, runId: string): Promise<void> {
    await db.execute("DELETE FROM run_archive WHERE run_id = $1", [runId]);
  },
  async ids(db: SqlExecutor): Promise<Set<string>> {
    const rows = await db.query<{ run_id: string }>("SELECT run_id FROM run_archive");
    return new Set(rows.map((r) => r.run_id));
  },
};

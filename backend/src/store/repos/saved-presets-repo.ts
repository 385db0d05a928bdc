import type { RunConfig, SavedPreset } from "../../domain/index.js";
import type { SqlExecutor } from "../sql-database.js";

interface Row {
  [k: string]: unknown;
  id: string;
  name: string;
  request: string;
  created_at: number;
  updated_at: number;
}

const fromRow = (r: Row): SavedPreset => ({
  id: r.id,
  name: r.name,
  request: JSON.parse(r.request) as RunConfig,
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

/** Presets saved from the dashboard's form (migration 8). Names are unique. */
export const savedPresetsRepo = {
  async list(db: SqlExecutor): Promise<SavedPreset[]> {
    return (await db.query<Row>("SELECT * FROM saved_presets ORDER BY name")).map(fromRow);
  },
  async get(db: SqlExecutor, id: string): Promise<SavedPreset | undefined> {
    const [row] = await db.query<Row>("SELECT * FROM saved_presets WHERE id = $1", [id]);
    return row ? fromRow(row) : undefined;
  },
  /** Saves under `name`, replacing a preset of that name; says whether it was new. */
  async save(
    db: SqlExecutor,
    p: { id: string; name: string; request: RunConfig },
  ): Promise<{ preset: SavedPreset; created: boolean }> {
    const now = Date.now();
    const body = JSON.stringify(p.request);
    const [existing] = await db.query<Row>("SELECT * FROM saved_presets WHERE name = $1", [p.name]);
    if (existing) {
      await db.execute("UPDATE saved_presets SET request = $2, updated_at = $3 WHERE id = $1", [
        existing.id,
        body,
        now,
      ]);
      return { preset: (await this.get(db, existing.id))!, created: false };
    }
    await db.execute(
      "INSERT INTO saved_presets (id, name, request, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)",
      [p.id, p.name, body, now],
    );
    return { preset: (await this.get(db, p.id))!, created: true };
  },
  async delete(db: SqlExecutor, id: string): Promise<boolean> {
    const { changes } = await db.execute("DELETE FROM saved_presets WHERE id = $1", [id]);
    return changes > 0;
  },
};

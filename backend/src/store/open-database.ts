import path from "node:path";
import { migrate } from "./migrations.js";
import { PostgresDatabase } from "./postgres-database.js";
import type { SqlDatabase } from "./sql-database.js";
import { SqliteDatabase } from "./sqlite-database.js";

export interface OpenDatabaseOptions {
  /** postgres:// URL; when absent, SQLite under dataDir. */
  databaseUrl?: string | undefined;
  dataDir: string;
  /** SQLite only (see SqliteDatabase); default "normal". */
  sqliteSynchronous?: "normal" | "full";
}

/** The SQLite file of a data dir. */
export function sqliteFile(dataDir: string): string {
  return path.join(dataDir, "fedledger.sqlite");
}

/** Opens the configured database and brings its schema up to date. */
export async function openDatabase(opts: OpenDatabaseOptions): Promise<SqlDatabase> {
  const db: SqlDatabase = opts.databaseUrl
    ? new PostgresDatabase(opts.databaseUrl)
    : new SqliteDatabase(sqliteFile(opts.dataDir), opts.sqliteSynchronous);
  try {
    await migrate(db);
  } catch (err) {
    await db.close().catch(() => undefined);
    throw new Error(`Could not open the store at ${db.location}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return db;
}

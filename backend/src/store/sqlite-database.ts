import { mkdirSync } from "node:fs";
import path from "node:path";
import { DatabaseSync, type SQLInputValue } from "node:sqlite";
import type { Row, SqlDatabase, SqlExecutor, SqlValue } from "./sql-database.js";

function toSqlite(sql: string): string {
  return sql.replace(/\$(\d+)/g, "?$1");
}

function bind(params: readonly SqlValue[]): SQLInputValue[] {
  return params.map((p) => p as SQLInputValue);
}

/**
 * SQLite through Node's built-in `node:sqlite` (no native addon to build). The driver is
 * synchronous; transactions are serialized with a promise chain so that an `await` inside one
 * cannot interleave another caller's statements into it.
 */
export class SqliteDatabase implements SqlDatabase {
  readonly dialect = "sqlite" as const;
  readonly location: string;
  private readonly db: DatabaseSync;
  private queue: Promise<unknown> = Promise.resolve();
  private inTransaction = false;

  /**
   * `synchronous`: "normal" (the default, SQLite's advice for WAL) fsyncs at checkpoints only, so a
   * commit survives a killed process and a power loss may undo the last ones; "full" fsyncs every
   * commit. The driver is synchronous, so under "full" a commit waits on the disk on the event loop:
   * while a CNN run wrote its round's artifacts (73 MB), a one-row UPDATE took 1.9 s (bench:load).
   */
  constructor(file: string, synchronous: "normal" | "full" = "normal") {
    if (file !== ":memory:") mkdirSync(path.dirname(file), { recursive: true });
    this.db = new DatabaseSync(file);
    this.location = file === ":memory:" ? "sqlite::memory:" : `sqlite:${file}`;
    this.db.exec(
      `PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA synchronous = ${synchronous === "full" ? "FULL" : "NORMAL"};`,
    );
  }

  private direct: SqlExecutor = {
    dialect: "sqlite",
    query: async <T extends Row>(sql: string, params: readonly SqlValue[] = []) =>
      this.db.prepare(toSqlite(sql)).all(...bind(params)) as T[],
    execute: async (sql: string, params: readonly SqlValue[] = []) => {
      const r = this.db.prepare(toSqlite(sql)).run(...bind(params));
      return { changes: Number(r.changes) };
    },
  };

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  query<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    if (this.inTransaction) return this.serialized(() => this.direct.query<T>(sql, params));
    return this.direct.query<T>(sql, params);
  }

  execute(sql: string, params: readonly SqlValue[] = []): Promise<{ changes: number }> {
    if (this.inTransaction) return this.serialized(() => this.direct.execute(sql, params));
    return this.direct.execute(sql, params);
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.serialized(async () => {
      this.inTransaction = true;
      this.db.exec("BEGIN IMMEDIATE");
      try {
        const result = await fn(this.direct);
        this.db.exec("COMMIT");
        return result;
      } catch (err) {
        this.db.exec("ROLLBACK");
        throw err;
      } finally {
        this.inTransaction = false;
      }
    });
  }

  async executeScript(sql: string): Promise<void> {
    this.db.exec(sql);
  }

  async close(): Promise<void> {
    await this.queue;
    this.db.close();
  }
}

import pg from "pg";
import type { Row, SqlDatabase, SqlExecutor, SqlValue } from "./sql-database.js";

// BIGINT (int8) columns hold millisecond timestamps and counters well inside 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "postgres:(unparseable url)";
  }
}

function toParams(params: readonly SqlValue[]): unknown[] {
  return params.map((p) => (p instanceof Uint8Array ? Buffer.from(p) : p));
}

function fromRow(row: Row): Row {
  for (const [k, v] of Object.entries(row)) {
    if (Buffer.isBuffer(v)) row[k] = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  }
  return row;
}

function executor(client: pg.Pool | pg.PoolClient): SqlExecutor {
  return {
    dialect: "postgres",
    query: async <T extends Row>(sql: string, params: readonly SqlValue[] = []) => {
      const r = await client.query(sql, toParams(params));
      return r.rows.map(fromRow) as T[];
    },
    execute: async (sql: string, params: readonly SqlValue[] = []) => {
      const r = await client.query(sql, toParams(params));
      return { changes: r.rowCount ?? 0 };
    },
  };
}

/** PostgreSQL through `pg`, for users who outgrow one machine. */
export class PostgresDatabase implements SqlDatabase {
  readonly dialect = "postgres" as const;
  readonly location: string;
  private readonly pool: pg.Pool;
  private readonly exec: SqlExecutor;

  constructor(url: string) {
    this.pool = new pg.Pool({ connectionString: url, max: 10 });
    this.location = redact(url);
    this.exec = executor(this.pool);
  }

  query<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.exec.query<T>(sql, params);
  }

  execute(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }> {
    return this.exec.execute(sql, params);
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      const result = await fn(executor(client));
      await client.query("COMMIT");
      return result;
    } catch (err) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async executeScript(sql: string): Promise<void> {
    await this.pool.query(sql);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

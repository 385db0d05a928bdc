/** The SQL dialects FedLedger's store runs on. */
export type Dialect = "sqlite" | "postgres";

export type SqlValue = string | number | bigint | null | Uint8Array;
export type Row = Record<string, unknown>;

/**
 * The small async surface both SQLite and PostgreSQL implement. SQL uses `$1, $2, …`
 * placeholders in both dialects (the SQLite driver rewrites them to `?1, ?2, …`).
 */
export interface SqlExecutor {
  readonly dialect: Dialect;
  query<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  execute(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }>;
}

export interface SqlDatabase extends SqlExecutor {
  /** Runs `fn` in one transaction; nested calls are not supported. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** Runs a script of several statements (migrations). */
  executeScript(sql: string): Promise<void>;
  /** Human-readable location, without credentials. */
  readonly location: string;
  close(): Promise<void>;
}

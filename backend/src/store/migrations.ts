import type { Dialect, SqlDatabase } from "./sql-database.js";

/**
 * Schema migrations, applied in order, each once, each in its own transaction. Never edit a
 * migration that has shipped: append a new one. `{{BLOB}}` and `{{SERIAL}}` expand per dialect;
 * a migration the dialects cannot share gives one script per dialect.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string | Record<Dialect, string>;
}

/**
 * Ranks the outbox's existing rows in the order they used to be sent, (created_at, id), and indexes
 * the worker's query: the first pending row by seq, without reading every confirmed one.
 */
const RANK_OUTBOX_ROWS = `
ALTER TABLE outbox ADD COLUMN seq BIGINT;
UPDATE outbox SET seq = ranked.n
  FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY created_at, id) AS n FROM outbox) AS ranked
  WHERE ranked.id = outbox.id;
CREATE UNIQUE INDEX outbox_seq ON outbox (seq);
CREATE INDEX outbox_pending_seq ON outbox (status, seq);
`;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "core schema: runs, rounds, checkpoints, nodes, contributions, outbox",
    sql: `
CREATE TABLE runs (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  config TEXT NOT NULL,
  status TEXT NOT NULL,
  completed_rounds INTEGER NOT NULL DEFAULT 0,
  engine TEXT,
  error TEXT,
  chain_run_id TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE rounds (
  run_id TEXT NOT NULL REFERENCES runs(id),
  round INTEGER NOT NULL,
  status TEXT NOT NULL,
  started_at BIGINT NOT NULL,
  finished_at BIGINT,
  duration_ms BIGINT,
  test_loss DOUBLE PRECISION,
  test_accuracy DOUBLE PRECISION,
  validation_loss_before DOUBLE PRECISION,
  validation_loss_after DOUBLE PRECISION,
  participants TEXT NOT NULL,
  updates TEXT NOT NULL,
  model_hash TEXT,
  tx_hash TEXT,
  PRIMARY KEY (run_id, round)
);
CREATE TABLE checkpoints (
  run_id TEXT PRIMARY KEY REFERENCES runs(id),
  round INTEGER NOT NULL,
  model_hash TEXT NOT NULL,
  weights {{BLOB}} NOT NULL,
  optimizer_state {{BLOB}},
  saved_at BIGINT NOT NULL
);
CREATE TABLE nodes (
  id TEXT PRIMARY KEY,
  wallet TEXT NOT NULL,
  kind TEXT NOT NULL,
  status TEXT NOT NULL,
  registration_signature TEXT,
  registration_deadline BIGINT,
  registration_tx TEXT,
  registered_at BIGINT NOT NULL,
  last_seen BIGINT
);
CREATE INDEX nodes_wallet ON nodes (wallet);
CREATE TABLE contributions (
  run_id TEXT NOT NULL REFERENCES runs(id),
  round INTEGER NOT NULL,
  node_id TEXT NOT NULL,
  wallet TEXT NOT NULL,
  samples INTEGER NOT NULL,
  loss_before DOUBLE PRECISION NOT NULL,
  loss_after DOUBLE PRECISION NOT NULL,
  score DOUBLE PRECISION NOT NULL,
  reward TEXT NOT NULL,
  update_hash TEXT NOT NULL,
  tx_hash TEXT,
  PRIMARY KEY (run_id, round, node_id)
);
CREATE INDEX contributions_wallet ON contributions (wallet);
CREATE TABLE outbox (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  run_id TEXT NOT NULL,
  round INTEGER,
  payload TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  last_error TEXT,
  tx_hash TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX outbox_pending ON outbox (status, next_attempt_at);
CREATE TABLE run_events (
  id {{SERIAL}},
  run_id TEXT NOT NULL,
  type TEXT NOT NULL,
  payload TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX run_events_run ON run_events (run_id, id);
`,
  },
  {
    version: 2,
    name: "store metadata: the contract deployment this store's records belong to",
    sql: `
CREATE TABLE store_meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
`,
  },
  {
    version: 3,
    name: "privacy and secure aggregation: a run's privacy accounting with its checkpoint, round details",
    sql: `
ALTER TABLE checkpoints ADD COLUMN privacy_state TEXT;
ALTER TABLE rounds ADD COLUMN details TEXT;
`,
  },
  {
    version: 4,
    name: "outbox send order: a sequence number, since two items enqueued in one millisecond were ordered by id",
    sql: {
      sqlite: RANK_OUTBOX_ROWS,
      postgres: `${RANK_OUTBOX_ROWS}
CREATE SEQUENCE outbox_seq_next OWNED BY outbox.seq;
SELECT setval('outbox_seq_next', (SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox), false);
ALTER TABLE outbox ALTER COLUMN seq SET DEFAULT nextval('outbox_seq_next');
`,
    },
  },
  {
    version: 5,
    name: "outbox lanes: items are ordered within their run (or node), so one run's stuck write never holds back another's",
    sql: `
ALTER TABLE outbox ADD COLUMN lane TEXT NOT NULL DEFAULT '';
UPDATE outbox SET lane = CASE WHEN run_id <> '' THEN run_id ELSE id END;
CREATE INDEX outbox_lane_pending ON outbox (lane, status, seq);
`,
  },
  {
    version: 6,
    name: "node refusals: why a node agent last refused a task (its privacy floor)",
    sql: `
ALTER TABLE nodes ADD COLUMN refusal TEXT;
`,
  },
  {
    version: 7,
    name: "artifact store: content-addressed models, updates and validation data, and who refers to them",
    sql: `
CREATE TABLE artifacts (
  hash TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  bytes BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  pruned_at BIGINT
);
CREATE TABLE artifact_refs (
  run_id TEXT NOT NULL,
  round INTEGER NOT NULL,
  kind TEXT NOT NULL,
  node_id TEXT NOT NULL DEFAULT '',
  hash TEXT NOT NULL,
  PRIMARY KEY (run_id, round, kind, node_id)
);
CREATE INDEX artifact_refs_hash ON artifact_refs (hash);
CREATE TABLE model_evaluations (
  run_id TEXT NOT NULL,
  hash TEXT NOT NULL,
  result TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (run_id, hash)
);
`,
  },
  {
    version: 8,
    name: "runs as code: presets saved from the dashboard, and archived runs (hidden from listings, data kept)",
    sql: `
CREATE TABLE saved_presets (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  request TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE run_archive (
  run_id TEXT PRIMARY KEY REFERENCES runs(id),
  archived_at BIGINT NOT NULL
);
`,
  },
  {
    version: 9,
    name: "the checkpoint is a model version: its weights are read from the artifact store (weights NULL) instead of a second copy in the database",
    sql: {
      // SQLite cannot drop a NOT NULL constraint: rebuild the table (nothing refers to it).
      sqlite: `
CREATE TABLE checkpoints_v9 (
  run_id TEXT PRIMARY KEY REFERENCES runs(id),
  round INTEGER NOT NULL,
  model_hash TEXT NOT NULL,
  weights BLOB,
  optimizer_state BLOB,
  saved_at BIGINT NOT NULL,
  privacy_state TEXT
);
INSERT INTO checkpoints_v9 (run_id, round, model_hash, weights, optimizer_state, saved_at, privacy_state)
  SELECT run_id, round, model_hash, weights, optimizer_state, saved_at, privacy_state FROM checkpoints;
DROP TABLE checkpoints;
ALTER TABLE checkpoints_v9 RENAME TO checkpoints;
`,
      postgres: `ALTER TABLE checkpoints ALTER COLUMN weights DROP NOT NULL;`,
    },
  },
  {
    version: 10,
    name: "operations: alerts (raised once, cleared, acknowledged), their webhook deliveries, and anomaly flags on contributions",
    sql: `
CREATE TABLE alerts (
  id {{SERIAL}},
  alert_key TEXT NOT NULL,
  kind TEXT NOT NULL,
  severity TEXT NOT NULL,
  run_id TEXT,
  node_id TEXT,
  message TEXT NOT NULL,
  action TEXT NOT NULL,
  raised_at BIGINT NOT NULL,
  cleared_at BIGINT,
  acknowledged_at BIGINT
);
CREATE UNIQUE INDEX alerts_one_active ON alerts (alert_key) WHERE cleared_at IS NULL;
CREATE INDEX alerts_run ON alerts (run_id, id);
CREATE TABLE alert_deliveries (
  id {{SERIAL}},
  alert_id BIGINT NOT NULL,
  change TEXT NOT NULL,
  target TEXT NOT NULL,
  payload TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  last_error TEXT,
  created_at BIGINT NOT NULL,
  delivered_at BIGINT
);
CREATE INDEX alert_deliveries_pending ON alert_deliveries (status, next_attempt_at);
ALTER TABLE contributions ADD COLUMN anomaly TEXT;
`,
  },
];

function expand(sql: string, dialect: Dialect): string {
  return sql
    .replaceAll("{{BLOB}}", dialect === "postgres" ? "BYTEA" : "BLOB")
    .replaceAll(
      "{{SERIAL}}",
      dialect === "postgres" ? "BIGSERIAL PRIMARY KEY" : "INTEGER PRIMARY KEY AUTOINCREMENT",
    );
}

function statements(sql: string): string[] {
  return sql
    .split(/;\s*\n/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Applies every migration the database has not seen yet; returns the versions applied. */
export async function migrate(
  db: SqlDatabase,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<number[]> {
  await db.execute(
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
  );
  const applied: number[] = [];
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    const done = await db.transaction(async (tx) => {
      if (tx.dialect === "postgres") {
        // Two coordinators starting together must not both apply a migration.
        await tx.query("SELECT pg_advisory_xact_lock(727001)");
      }
      const seen = await tx.query("SELECT version FROM schema_migrations WHERE version = $1", [
        m.version,
      ]);
      if (seen.length > 0) return false;
      const sql = typeof m.sql === "string" ? m.sql : m.sql[tx.dialect];
      for (const stmt of statements(expand(sql, tx.dialect))) await tx.execute(stmt);
      await tx.execute(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
        [m.version, m.name, Date.now()],
      );
      return true;
    });
    if (done) applied.push(m.version);
  }
  return applied;
}

export async function schemaVersion(db: SqlDatabase): Promise<number> {
  const rows = await db.query<{ v: number | null }>(
    "SELECT MAX(version) AS v FROM schema_migrations",
  );
  return Number(rows[0]?.v ?? 0);
}

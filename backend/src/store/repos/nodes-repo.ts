import type { NodeSummary } from "../../domain/index.js";
import type { SqlExecutor } from "../sql-database.js";

interface Row {
  [k: string]: unknown;
  id: string;
  wallet: string;
  kind: NodeSummary["kind"];
  status: NodeSummary["status"];
  registration_signature: string | null;
  registration_deadline: number | null;
  registration_tx: string | null;
  registered_at: number;
  last_seen: number | null;
  refusal: string | null;
}

export type StoredNode = Omit<NodeSummary, "totals">;

const fromRow = (r: Row): StoredNode => ({
  id: r.id,
  wallet: r.wallet,
  kind: r.kind,
  status: r.status,
  registeredAt: Number(r.registered_at),
  lastSeen: r.last_seen === null ? null : Number(r.last_seen),
  registrationTx: r.registration_tx,
  refusal: r.refusal ?? null,
});

/**
 * A refusing node stays refusing until it is asked to train again ("training"): idle and seen
 * updates keep the refusal visible. (Its last refusal reason stays for the record either way.)
 */
const KEEP_REFUSING = "AND (status <> 'refusing' OR $2 = 'training')";

export const nodesRepo = {
  /** Inserts a node, or returns false when the id is taken by another wallet. */
  async upsert(
    db: SqlExecutor,
    n: {
      id: string;
      wallet: string;
      kind: NodeSummary["kind"];
      signature: string;
      deadline: number;
    },
  ): Promise<"inserted" | "unchanged" | "conflict"> {
    const [row] = await db.query<Row>("SELECT * FROM nodes WHERE id = $1", [n.id]);
    if (row) return row.wallet.toLowerCase() === n.wallet.toLowerCase() ? "unchanged" : "conflict";
    await db.execute(
      `INSERT INTO nodes (id, wallet, kind, status, registration_signature, registration_deadline, registered_at)
       VALUES ($1, $2, $3, 'registered', $4, $5, $6)`,
      [n.id, n.wallet, n.kind, n.signature, n.deadline, Date.now()],
    );
    return "inserted";
  },
  async get(db: SqlExecutor, id: string): Promise<StoredNode | undefined> {
    const [row] = await db.query<Row>("SELECT * FROM nodes WHERE id = $1", [id]);
    return row ? fromRow(row) : undefined;
  },
  async list(db: SqlExecutor): Promise<StoredNode[]> {
    return (await db.query<Row>("SELECT * FROM nodes ORDER BY id")).map(fromRow);
  },
  async setStatus(db: SqlExecutor, id: string, status: NodeSummary["status"]): Promise<void> {
    await db.execute(
      `UPDATE nodes SET status = $2, last_seen = $3 WHERE id = $1 ${KEEP_REFUSING}`,
      [id, status, Date.now()],
    );
  },
  /** The node refused a task below its privacy floor: shown as refusing, with why. */
  async setRefusing(db: SqlExecutor, id: string, reason: string): Promise<void> {
    await db.execute(
      "UPDATE nodes SET status = 'refusing', refusal = $2, last_seen = $3 WHERE id = $1",
      [id, reason.slice(0, 500), Date.now()],
    );
  },
  /** Marks a round's participants training or idle, and seen now (unknown ids are ignored). */
  async setStatusMany(db: SqlExecutor, ids: readonly string[], status: NodeSummary["status"]) {
    const now = Date.now();
    for (const id of ids) {
      await db.execute(
        `UPDATE nodes SET status = $2, last_seen = $3 WHERE id = $1 ${KEEP_REFUSING}`,
        [id, status, now],
      );
    }
  },
  /** A node's stored registration signature and its deadline (unix seconds). */
  async registration(
    db: SqlExecutor,
    id: string,
  ): Promise<{ wallet: string; signature: string; deadline: number } | undefined> {
    const [row] = await db.query<Row>("SELECT * FROM nodes WHERE id = $1", [id]);
    if (!row?.registration_signature || row.registration_deadline === null) return undefined;
    return {
      wallet: row.wallet,
      signature: row.registration_signature,
      deadline: Number(row.registration_deadline),
    };
  },
  async setRegistration(db: SqlExecutor, id: string, signature: string, deadline: number) {
    await db.execute(
      "UPDATE nodes SET registration_signature = $2, registration_deadline = $3 WHERE id = $1",
      [id, signature, deadline],
    );
  },
  async setRegistrationTx(db: SqlExecutor, id: string, tx: string): Promise<void> {
    await db.execute("UPDATE nodes SET registration_tx = $2 WHERE id = $1", [id, tx]);
  },
};

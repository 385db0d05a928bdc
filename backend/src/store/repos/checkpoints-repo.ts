import type { SqlExecutor } from "../sql-database.js";

export interface Checkpoint {
  round: number;
  modelHash: string;
  /**
   * The model's weights, or null: the model is the version `modelHash` in the artifact store (the
   * usual case; a run that keeps no artifacts stores its weights here).
   */
  weights: Float32Array | null;
  optimizerState: Float32Array[] | null;
  /** The run's privacy accounting (JSON-safe), when it has privacy. */
  privacyState?: unknown;
}

function toBytes(a: Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function toFloats(b: Uint8Array): Float32Array {
  // Copy: the driver's buffer may not be 4-byte aligned.
  return new Float32Array(b.slice().buffer);
}

/** Optimizer state: [count:u32][len_i:u32]... then the arrays' bytes back to back. */
function packState(state: Float32Array[]): Uint8Array {
  const header = new Uint32Array([state.length, ...state.map((s) => s.length)]);
  const total = header.byteLength + state.reduce((s, a) => s + a.byteLength, 0);
  const out = new Uint8Array(total);
  out.set(new Uint8Array(header.buffer), 0);
  let off = header.byteLength;
  for (const a of state) {
    out.set(toBytes(a), off);
    off += a.byteLength;
  }
  return out;
}

function unpackState(bytes: Uint8Array): Float32Array[] {
  const b = bytes.slice();
  const view = new DataView(b.buffer);
  const count = view.getUint32(0, true);
  const lens = Array.from({ length: count }, (_, i) => view.getUint32(4 + 4 * i, true));
  let off = 4 + 4 * count;
  return lens.map((len) => {
    const a = new Float32Array(b.buffer.slice(off, off + 4 * len));
    off += 4 * len;
    return a;
  });
}

/**
 * The latest global model of each run (one row per run, replaced every round): a reference to its
 * model version in the artifact store, with the server optimizer's and the privacy accountant's
 * state. Retention never prunes a run's latest version, so a run resumes from it.
 */
export const checkpointsRepo = {
  async save(db: SqlExecutor, runId: string, c: Checkpoint): Promise<void> {
    const state = c.optimizerState ? packState(c.optimizerState) : null;
    const privacy = c.privacyState === undefined ? null : JSON.stringify(c.privacyState);
    const weights = c.weights ? toBytes(c.weights) : null;
    const params = [runId, c.round, c.modelHash, weights, state, Date.now(), privacy];
    await db.execute("DELETE FROM checkpoints WHERE run_id = $1", [runId]);
    await db.execute(
      "INSERT INTO checkpoints (run_id, round, model_hash, weights, optimizer_state, saved_at, privacy_state) VALUES ($1, $2, $3, $4, $5, $6, $7)",
      params,
    );
  },
  async load(db: SqlExecutor, runId: string): Promise<Checkpoint | undefined> {
    const [row] = await db.query<{
      round: number;
      model_hash: string;
      weights: Uint8Array | null;
      optimizer_state: Uint8Array | null;
      privacy_state: string | null;
    }>(
      "SELECT round, model_hash, weights, optimizer_state, privacy_state FROM checkpoints WHERE run_id = $1",
      [runId],
    );
    if (!row) return undefined;
    return {
      round: Number(row.round),
      modelHash: row.model_hash,
      weights: row.weights ? toFloats(row.weights) : null,
      optimizerState: row.optimizer_state ? unpackState(row.optimizer_state) : null,
      ...(row.privacy_state ? { privacyState: JSON.parse(row.privacy_state) as unknown } : {}),
    };
  },
};

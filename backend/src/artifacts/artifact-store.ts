// One content-addressed store for everything a round's records point at: each round's global model
// (the model registry), each node's update and the validation data (the re-execution audit), a
// run's spec document. An artifact's key is the keccak256 of its bytes, the same hash the chain
// records, so anyone holding the chain's events can ask for exactly what they name and check it.
//
// Layout: <dir>/<first 2 hex>/<next 2 hex>/<64 hex>.bin, written to a temporary file and renamed
// (a crash never leaves half a file under a hash). The store's database indexes every artifact
// (kind, size, when, pruned) and which run and round refer to it (artifact_refs). Hashes are
// checked on write and again on every read.
import { createReadStream } from "node:fs";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { randomBytes } from "node:crypto";
import type { Hex } from "viem";
import { keccak256BytesOffThread } from "../nodes/keccak.js";
import type { SqlExecutor } from "../store/sql-database.js";

/** What an artifact is; "start" refs name the model a round started from (no bytes of its own). */
export type ArtifactKind = "model" | "update" | "validation" | "spec" | "start";

export class ArtifactMissing extends Error {
  constructor(readonly hash: string, why: string) {
    super(`artifact ${hash} ${why}`);
  }
}

export class ArtifactCorrupt extends Error {
  constructor(readonly hash: string, actual: string) {
    super(`artifact ${hash} is corrupt: its bytes hash to ${actual}`);
  }
}

const HASH = /^0x[0-9a-f]{64}$/;

export function isArtifactHash(h: string): h is Hex {
  return HASH.test(h);
}

export interface ArtifactInfo {
  hash: Hex;
  kind: ArtifactKind;
  bytes: number;
  createdAt: number;
  prunedAt: number | null;
}

export class ArtifactStore {
  constructor(readonly dir: string) {}

  pathOf(hash: Hex): string {
    const h = hash.slice(2);
    return path.join(this.dir, h.slice(0, 2), h.slice(2, 4), `${h}.bin`);
  }

  /**
   * Writes `bytes` under their keccak256 (checked against `expected` when given), idempotently
   * (an artifact already there is not written again). Files only: index() records it in the store,
   * which the caller does in the transaction that refers to it.
   */
  async write(bytes: Uint8Array, expected?: Hex): Promise<Hex> {
    const hash = await keccak256BytesOffThread(bytes);
    if (expected && expected.toLowerCase() !== hash) {
      throw new ArtifactCorrupt(expected, hash);
    }
    return this.writeHashed(bytes, hash);
  }

  /**
   * write() for bytes whose keccak256 this process has just computed from these very bytes (a
   * round's model, an update checked when it arrived): a CNN round would otherwise hash its 73 MB
   * a second time. Reads still check every hash.
   */
  async writeHashed(bytes: Uint8Array, hash: Hex): Promise<Hex> {
    hash = hash.toLowerCase() as Hex;
    const file = this.pathOf(hash);
    const present = await stat(file).then(
      (s) => s.size === bytes.byteLength,
      () => false,
    );
    if (!present) {
      await mkdir(path.dirname(file), { recursive: true });
      const tmp = `${file}.${randomBytes(4).toString("hex")}.tmp`;
      await writeFile(tmp, bytes);
      await rename(tmp, file);
    }
    return hash;
  }

  /** Indexes a written artifact (a re-stored, pruned one is un-pruned). */
  async index(db: SqlExecutor, kind: ArtifactKind, hash: Hex, bytes: number): Promise<void> {
    await db.execute(
      `INSERT INTO artifacts (hash, kind, bytes, created_at, pruned_at) VALUES ($1, $2, $3, $4, NULL)
       ON CONFLICT (hash) DO UPDATE SET pruned_at = NULL`,
      [hash, kind, bytes, Date.now()],
    );
  }

  /** write() and index() in one go. */
  async put(db: SqlExecutor, kind: ArtifactKind, bytes: Uint8Array, expected?: Hex): Promise<Hex> {
    const hash = await this.write(bytes, expected);
    await this.index(db, kind, hash, bytes.byteLength);
    return hash;
  }

  /** Records that `runId`'s `round` refers to `hash` as its `kind` (for `nodeId`, for updates). */
  async ref(
    db: SqlExecutor,
    r: { runId: string; round: number; kind: ArtifactKind; nodeId?: string; hash: Hex },
  ): Promise<void> {
    await db.execute(
      `INSERT INTO artifact_refs (run_id, round, kind, node_id, hash) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (run_id, round, kind, node_id) DO UPDATE SET hash = excluded.hash`,
      [r.runId, r.round, r.kind, r.nodeId ?? "", r.hash],
    );
  }

  /** The bytes of `hash`, checked against it. Throws ArtifactMissing or ArtifactCorrupt. */
  async read(hash: Hex): Promise<Uint8Array> {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(this.pathOf(hash)));
    } catch {
      throw new ArtifactMissing(hash, "is not in this store (never stored, or pruned)");
    }
    const actual = await keccak256BytesOffThread(bytes);
    if (actual !== hash.toLowerCase()) throw new ArtifactCorrupt(hash, actual);
    return bytes;
  }

  /** A raw read stream of a stored file (callers that need the bytes checked use read()). */
  stream(hash: Hex, range?: { start: number; end: number }) {
    return createReadStream(this.pathOf(hash), range);
  }

  async info(db: SqlExecutor, hash: Hex): Promise<ArtifactInfo | undefined> {
    const [row] = await db.query<{
      hash: Hex;
      kind: ArtifactKind;
      bytes: number;
      created_at: number;
      pruned_at: number | null;
    }>("SELECT * FROM artifacts WHERE hash = $1", [hash]);
    if (!row) return undefined;
    return {
      hash: row.hash,
      kind: row.kind,
      bytes: Number(row.bytes),
      createdAt: Number(row.created_at),
      prunedAt: row.pruned_at === null ? null : Number(row.pruned_at),
    };
  }

  /**
   * Deletes the file of `hash` unless another run's or round's reference still wants it kept
   * (`stillWanted`), and marks it pruned in the index (its metadata stays: lists show it gone).
   */
  async prune(db: SqlExecutor, hash: Hex): Promise<void> {
    await rm(this.pathOf(hash), { force: true });
    await db.execute("UPDATE artifacts SET pruned_at = $2 WHERE hash = $1", [hash, Date.now()]);
  }

  /** Bytes and files stored now (not pruned), by kind. */
  async usage(db: SqlExecutor): Promise<{ bytes: number; files: number; byKind: Record<string, number> }> {
    const rows = await db.query<{ kind: string; n: number; b: number }>(
      "SELECT kind, COUNT(*) AS n, SUM(bytes) AS b FROM artifacts WHERE pruned_at IS NULL GROUP BY kind",
    );
    const byKind: Record<string, number> = {};
    let bytes = 0;
    let files = 0;
    for (const r of rows) {
      byKind[r.kind] = Number(r.b ?? 0);
      bytes += Number(r.b ?? 0);
      files += Number(r.n);
    }
    return { bytes, files, byKind };
  }
}

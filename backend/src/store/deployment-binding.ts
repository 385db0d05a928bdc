// A store's runs, rounds and outbox refer to one contract deployment: their chain records live
// there. The local Hardhat chain starts empty on every `npm start`, so a store left from an
// earlier chain must not be mixed with a new deployment (its outbox would record rounds of runs
// the new ledger has never seen, and its totals would disagree with every audit).
import { existsSync, mkdirSync, renameSync } from "node:fs";
import path from "node:path";
import type { Deployment } from "../chain/deployment.js";
import type { SqlDatabase } from "./sql-database.js";

const KEY = "deployment";

/** What identifies a deployment: chain, ledger address and when it was deployed. */
export function deploymentFingerprint(d: Deployment): string {
  return `${d.chainId}:${d.contracts.ContributionLedger.address.toLowerCase()}:${d.deployedAt}`;
}

export type Binding = { kind: "bound" } | { kind: "mismatch"; stored: string };

/** Binds an unbound store to `deployment`, or reports that it belongs to another one. */
export async function bindStore(db: SqlDatabase, deployment: Deployment): Promise<Binding> {
  const fingerprint = deploymentFingerprint(deployment);
  const [row] = await db.query<{ value: string }>("SELECT value FROM store_meta WHERE key = $1", [
    KEY,
  ]);
  if (!row) {
    await db.execute("INSERT INTO store_meta (key, value) VALUES ($1, $2)", [KEY, fingerprint]);
    return { kind: "bound" };
  }
  return row.value === fingerprint ? { kind: "bound" } : { kind: "mismatch", stored: row.value };
}

/**
 * Moves a SQLite store (and its WAL files) to dataDir/archive/, named after the deployment it
 * belonged to, so nothing is deleted. Returns the archived path.
 */
export function archiveSqliteStore(file: string, stored: string): string {
  const dir = path.join(path.dirname(file), "archive");
  const stamp = (stored.split(":").slice(2).join(":") || new Date().toISOString()).replace(
    /[^0-9A-Za-z]/g,
    "",
  );
  mkdirSync(dir, { recursive: true });
  const target = path.join(dir, `fedledger-${stamp}.sqlite`);
  for (const suffix of ["", "-wal", "-shm"]) {
    if (existsSync(file + suffix)) {
      renameSync(file + suffix, target + suffix);
    }
  }
  return target;
}

import { keccak256, toBytes, type Hex, type PublicClient } from "viem";
import type { Deployment } from "../chain/deployment.js";
import { readLedger, type ReadLedgerOptions } from "../chain/ledger-events.js";
import { contributionsRepo } from "../store/repos/contributions-repo.js";
import { roundsRepo } from "../store/repos/rounds-repo.js";
import type { SqlDatabase } from "../store/sql-database.js";
import { auditLedger, type AuditReport } from "./ledger-audit.js";

export type { AuditCheck } from "./ledger-audit.js";

export interface RunAuditReport extends AuditReport {
  runId: string;
  chainRunId: Hex;
}

/**
 * `npm run audit`: reads the chain (every ledger event, the mints, the contracts' totals) and,
 * when a store is given, the run's stored contributions and rounds, then runs the same pure audit
 * the dashboard runs (ledger-audit.ts).
 */
export async function auditRun(
  client: PublicClient,
  deployment: Deployment,
  runId: string,
  db?: SqlDatabase,
  opts: ReadLedgerOptions = {},
): Promise<RunAuditReport> {
  const chainRunId = keccak256(toBytes(runId));
  const snapshot = await readLedger(client, deployment, opts);
  const store = db
    ? {
        contributions: await contributionsRepo.find(db, { run: runId, limit: 1_000_000 }),
        rounds: await roundsRepo.list(db, runId),
      }
    : undefined;
  return {
    runId,
    chainRunId,
    ...auditLedger(snapshot, { chainRunId, ...(store ? { store } : {}) }),
  };
}

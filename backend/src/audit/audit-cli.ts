// `npm run audit -- --run <id>` and `fedledger audit --run <id>`: re-derives a run's
// contributions, rewards and totals from chain events alone, checks them against the recorded
// reward policy and the store, prints a verdict, and returns 1 on any mismatch. `--no-store`
// audits from the chain alone.
import { parseArgs } from "node:util";
import { createPublicClient, formatUnits, http } from "viem";
import { readDeployment } from "../chain/deployment.js";
import { loadConfig } from "../config.js";
import { runsRepo } from "../store/repos/runs-repo.js";
import { openDatabase } from "../store/open-database.js";
import { auditRun, type RunAuditReport } from "./audit-run.js";

export const AUDIT_USAGE = `usage: fedledger audit --run <run id> [--no-store] [--json] | --all
       (also: npm run audit -- <the same arguments>)

Re-derives every contribution and reward of a run from the chain's events, checks them against
the run's recorded reward policy and the totals, and compares them with the coordinator's store.
Reads the chain and store the coordinator's environment names (CHAIN_RPC_URL, DEPLOYMENT_FILE,
DATA_DIR or DATABASE_URL). Exit code 0 when everything matches, 1 on any mismatch, 2 on a usage
error.

  --run <id>   the run to audit
  --all        audit every run in the store
  --no-store   audit from the chain alone
  --json       print the report as JSON`;

function printReport(report: RunAuditReport, id: string, chainId: number): void {
  console.log(`audit of ${id} (${report.chainRunId}) on chain ${chainId}`);
  console.log(
    `  ${report.rounds} rounds, ${report.contributions} contributions, ${formatUnits(report.totalReward, 18)} tokens rewarded`,
  );
  for (const c of report.checks) console.log(`  ${c.ok ? "PASS" : "FAIL"}  ${c.name}: ${c.detail}`);
  console.log(`  verdict: ${report.ok ? "PASS" : "FAIL"}`);
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      run: { type: "string" },
      all: { type: "boolean", default: false },
      "no-store": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  }).values;
}

/** Runs the audit CLI on `argv`; returns its exit code (0 pass, 1 mismatch, 2 usage or error). */
export async function auditCli(argv: string[]): Promise<number> {
  let values: ReturnType<typeof parse>;
  try {
    values = parse(argv);
  } catch (err) {
    console.error(`audit: ${(err as Error).message}\n\n${AUDIT_USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(AUDIT_USAGE);
    return 0;
  }
  if (!values.all && !values.run) {
    console.error(AUDIT_USAGE);
    return 2;
  }
  try {
    return await audit(values);
  } catch (err) {
    console.error(`audit: ${(err as Error).message}`);
    return 2;
  }
}

async function audit(values: ReturnType<typeof parse>): Promise<number> {
  const config = loadConfig();
  const deployment = readDeployment(config.deploymentFile);
  const client = createPublicClient({ transport: http(config.rpcUrl) });
  const db = values["no-store"]
    ? undefined
    : await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    if (values.all && !db) throw new Error("--all lists runs from the store; drop --no-store");
    const runIds = values.all ? (await runsRepo.list(db!)).map((r) => r.id) : [values.run!];
    let failed = 0;
    for (const id of runIds) {
      const report = await auditRun(client, deployment, id, db);
      if (!report.ok) failed++;
      if (values.json)
        console.log(
          JSON.stringify(report, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2),
        );
      else printReport(report, id, deployment.chainId);
    }
    return failed === 0 ? 0 : 1;
  } finally {
    await db?.close();
  }
}

// `npm run audit -- --run <id>` and `fedledger audit --run <id>`: re-derives a run's
// contributions, rewards and totals from chain events alone, checks them against the recorded
// reward policy and the store, prints a verdict, and returns 1 on any mismatch. `--no-store`
// audits from the chain alone; `--recompute` also re-executes every loss from the run's
// artifacts (audit/recompute/).
import { parseArgs } from "node:util";
import { createPublicClient, formatUnits, http } from "viem";
import { readDeployment } from "../chain/deployment.js";
import { loadConfig } from "../config.js";
import { runsRepo } from "../store/repos/runs-repo.js";
import { openDatabase } from "../store/open-database.js";
import { auditRun, type RunAuditReport } from "./audit-run.js";
import { printRecompute, recomputeAudit } from "./recompute/recompute-cli.js";

export const AUDIT_USAGE = `usage: fedledger audit --run <run id> [--no-store] [--json] | --all
                      [--recompute [--from <url|dir>] [--save <dir>] [--rounds a-b] [--tolerance r]]
       (also: npm run audit -- <the same arguments>)

Re-derives every contribution and reward of a run from the chain's events, checks them against
the run's recorded reward policy and the totals, and compares them with the coordinator's store.
Reads the chain and store the coordinator's environment names (CHAIN_RPC_URL, DEPLOYMENT_FILE,
DATA_DIR or DATABASE_URL). Exit code 0 when everything matches, 1 on any mismatch, 2 on a usage
error.

  --run <id>   the run to audit
  --all        audit every run in the store
  --no-store   audit from the chain alone
  --json       print the report as JSON
  --recompute  also re-execute every loss from the run's published artifacts (spec, validation
               split, start models, updates, round models), each checked against the chain's
               hash, with the same engine, policy and seed; fails on any contribution whose
               recorded losses the artifacts do not give
  --from       where artifacts come from: a coordinator URL (default: this machine's
               coordinator) or a directory of <hash>.bin files saved with --save
  --save <dir> keep every fetched artifact in <dir>, to re-audit offline later
  --rounds a-b re-execute only these rounds
  --tolerance  relative tolerance on each loss (default 1e-5)`;

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
      recompute: { type: "boolean", default: false },
      from: { type: "string" },
      save: { type: "string" },
      rounds: { type: "string" },
      tolerance: { type: "string" },
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
  const tolerance = values.tolerance === undefined ? undefined : Number(values.tolerance);
  if (tolerance !== undefined && !(Number.isFinite(tolerance) && tolerance >= 0)) {
    console.error(`audit: --tolerance must be a non-negative number, got "${values.tolerance}"`);
    return 2;
  }
  try {
    return await audit(values);
  } catch (err) {
    const cause = (err as Error).cause as Error | undefined;
    console.error(`audit: ${(err as Error).message}${cause ? ` (${cause.message})` : ""}`);
    if (process.env.FEDLEDGER_DEBUG) console.error((err as Error).stack);
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
    const from = values.from ?? `http://${config.host}:${config.port}`;
    for (const id of runIds) {
      const report = await auditRun(client, deployment, id, db);
      const recompute = values.recompute
        ? await recomputeAudit({
            client,
            deployment,
            chainRunId: report.chainRunId,
            from,
            ...(values.save ? { save: values.save } : {}),
            ...(values.rounds ? { rounds: values.rounds } : {}),
            ...(values.tolerance ? { tolerance: Number(values.tolerance) } : {}),
          })
        : undefined;
      if (!report.ok || (recompute && !recompute.ok)) failed++;
      if (values.json) {
        const out = { ...report, ...(recompute ? { recompute } : {}) };
        console.log(
          JSON.stringify(out, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2),
        );
        continue;
      }
      printReport(report, id, deployment.chainId);
      if (recompute) printRecompute(recompute, from);
    }
    return failed === 0 ? 0 : 1;
  } finally {
    await db?.close();
  }
}

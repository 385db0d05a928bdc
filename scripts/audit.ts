// `npm run audit -- --run <id>`: re-derives a run's contributions, rewards and totals from chain
// events alone, checks them against the recorded reward policy and the store, prints a verdict,
// and exits non-zero on any mismatch. `--no-store` audits from the chain alone.
import { parseArgs } from "node:util";
import { createPublicClient, formatUnits, http } from "viem";
import { auditRun } from "../backend/src/audit/audit-run.js";
import { readDeployment } from "../backend/src/chain/deployment.js";
import { loadConfig } from "../backend/src/config.js";
import { runsRepo } from "../backend/src/store/repos/runs-repo.js";
import { openDatabase } from "../backend/src/store/open-database.js";

const { values } = parseArgs({
  options: {
    run: { type: "string" },
    all: { type: "boolean", default: false },
    "no-store": { type: "boolean", default: false },
    json: { type: "boolean", default: false },
  },
});

async function main(): Promise<number> {
  const config = loadConfig();
  const deployment = readDeployment(config.deploymentFile);
  const client = createPublicClient({ transport: http(config.rpcUrl) });
  const db = values["no-store"]
    ? undefined
    : await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  let runIds: string[];
  if (values.all) {
    if (!db) throw new Error("--all lists runs from the store; drop --no-store");
    runIds = (await runsRepo.list(db)).map((r) => r.id);
  } else if (values.run) {
    runIds = [values.run];
  } else {
    console.error("usage: npm run audit -- --run <run id> [--no-store] [--json] | --all");
    return 2;
  }
  let failed = 0;
  for (const id of runIds) {
    const report = await auditRun(client, deployment, id, db);
    if (!report.ok) failed++;
    if (values.json) {
      console.log(
        JSON.stringify(report, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2),
      );
      continue;
    }
    console.log(`audit of ${id} (${report.chainRunId}) on chain ${deployment.chainId}`);
    console.log(
      `  ${report.rounds} rounds, ${report.contributions} contributions, ${formatUnits(report.totalReward, 18)} tokens rewarded`,
    );
    for (const c of report.checks)
      console.log(`  ${c.ok ? "PASS" : "FAIL"}  ${c.name}: ${c.detail}`);
    console.log(`  verdict: ${report.ok ? "PASS" : "FAIL"}`);
  }
  await db?.close();
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`audit: ${(err as Error).message}`);
    process.exit(2);
  },
);

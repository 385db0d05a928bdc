// `npm run audit -- --run <id> --recompute [--from <url|dir>] [--save <dir>] [--rounds a-b]`:
// fetches a run's artifacts, re-executes every score with the engine, prints per round and per
// contribution what matched and what did not. Exit code 1 on any mismatch.
import { existsSync, statSync } from "node:fs";
import { formatUnits, type Hex, type PublicClient } from "viem";
import type { Deployment } from "../../chain/deployment.js";
import { readLedger } from "../../chain/ledger-events.js";
import { keccak256Bytes } from "../../nodes/keccak.js";
import { dirSource, savingSource } from "./dir-source.js";
import { datasetCheck, engineEvaluator } from "./engine-evaluator.js";
import { httpSource } from "./http-source.js";
import { recomputeRun, type RecomputeReport } from "./recompute-run.js";

export interface RecomputeArgs {
  client: PublicClient;
  deployment: Deployment;
  chainRunId: Hex;
  /** Coordinator URL or a local directory of `<hash>.bin` files. */
  from: string;
  save?: string;
  rounds?: string;
  tolerance?: number;
}

/** "3-7" or "5" to an inclusive range. */
export function parseRounds(spec: string | undefined): { from: number; to: number } | undefined {
  if (!spec) return undefined;
  const m = /^(\d+)(?:-(\d+))?$/.exec(spec.trim());
  if (!m) throw new Error(`--rounds: expected a-b or a round number, got "${spec}"`);
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  if (to < from) throw new Error(`--rounds: ${to} < ${from}`);
  return { from, to };
}

function progressBar(done: number, total: number, round: number, started: number) {
  if (!process.stderr.isTTY) return;
  const width = 30;
  const filled = Math.round((done / Math.max(1, total)) * width);
  const eta = done ? (((Date.now() - started) / done) * (total - done)) / 1000 : 0;
  process.stderr.write(
    `\r  [${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total} rounds (round ${round}) eta ${eta.toFixed(0)} s `,
  );
  if (done === total) process.stderr.write("\n");
}

export async function recomputeAudit(args: RecomputeArgs): Promise<RecomputeReport> {
  const isDir = existsSync(args.from) && statSync(args.from).isDirectory();
  let source = isDir ? dirSource(args.from) : httpSource(args.from);
  if (args.save) source = savingSource(source, args.save);
  const snapshot = await readLedger(args.client, args.deployment);
  const started = Date.now();
  const rounds = parseRounds(args.rounds);
  return recomputeRun({
    snapshot,
    chainRunId: args.chainRunId,
    source,
    evaluatorFor: engineEvaluator,
    extraChecks: datasetCheck,
    hash: keccak256Bytes,
    ...(rounds ? { rounds } : {}),
    ...(args.tolerance !== undefined ? { tolerance: args.tolerance } : {}),
    onProgress: (done, total, round) => progressBar(done, total, round, started),
  });
}

export function printRecompute(report: RecomputeReport, from: string): void {
  console.log(`  re-execution from ${from} (tolerance ${report.tolerance} relative)`);
  for (const c of report.spec) console.log(`  ${c.ok ? "PASS" : "FAIL"}  ${c.name}: ${c.detail}`);
  for (const r of report.rounds) {
    const mark = r.status === "verified" ? "PASS" : r.status === "mismatch" ? "FAIL" : "MISS";
    console.log(
      `  ${mark}  round ${r.round}: ${r.detail} (${(r.bytes / 1e6).toFixed(2)} MB, ${r.ms} ms)`,
    );
    for (const c of r.contributions) {
      if (c.status === "verified") continue;
      console.log(
        `          ${c.status.toUpperCase()} ${c.node} (update ${c.updateHash.slice(0, 10)}…, reward ${formatUnits(c.recorded.reward, 18)}): ${c.detail}`,
      );
    }
  }
  const k = report.counts;
  const total = report.rounds.reduce((s, r) => s + r.ms, 0);
  console.log(
    `  recomputed ${report.rounds.length} rounds in ${(total / 1000).toFixed(1)} s: ${k.verified} contributions verified, ${k.mismatch} mismatched, ${k["artifact-missing"]} with missing and ${k["artifact-corrupt"]} with corrupt artifacts, ${k["not-recomputed"]} not recomputed; max deviation ${report.maxDeviation.toExponential(2)}`,
  );
  console.log(`  re-execution verdict: ${report.ok ? "PASS" : "FAIL"}`);
}

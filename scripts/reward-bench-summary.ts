/**
 * Turns the JSON lines of one or more `npm run bench:rewards` invocations into
 * docs/bench-rewards.json (machine, options, per-setting facts, per-policy rows, the verdicts and
 * the chosen default) and prints the README's Markdown tables.
 *
 *   npm run bench:rewards > rewards.jsonl
 *   node --import tsx scripts/reward-bench-summary.ts rewards.jsonl [docs/bench-rewards.json]
 */
import { readFileSync, writeFileSync } from "node:fs";
import { rewardPolicyEntry } from "../backend/src/rewards/policies/registry.js";
import {
  chooseDefault,
  COST_BAR,
  PLANTED_TOLERANCE,
  SPEARMAN_BAR,
  type BenchRow,
  type PolicyVerdict,
} from "./reward-default-choice.js";

type Line = Record<string, unknown>;

function readLines(files: string[]): Line[] {
  return files.flatMap((f) =>
    readFileSync(f, "utf8")
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Line),
  );
}

/** Policies that score rounds of any size: the default must accept every run the form does. */
function candidates(rows: BenchRow[]): string[] {
  return [...new Set(rows.map((r) => r.policy))].filter(
    (p) => rewardPolicyEntry(p).checkParticipants?.(1_000) === undefined,
  );
}

const f = (x: number | null | undefined, d = 2) =>
  x === null || x === undefined ? "–" : x.toFixed(d);

function matrix(rows: BenchRow[], cell: (r: BenchRow) => string): string[] {
  const settings = [...new Set(rows.map((r) => r.setting))];
  const policies = [...new Set(rows.map((r) => r.policy))];
  const out = [
    `| policy | ${settings.join(" | ")} |`,
    `| --- |${" --- |".repeat(settings.length)}`,
  ];
  for (const p of policies) {
    const cells = settings.map((s) => {
      const r = rows.find((x) => x.policy === p && x.setting === s);
      return r ? cell(r) : "–";
    });
    out.push(`| ${p} | ${cells.join(" | ")} |`);
  }
  return out;
}

function plantedCell(rows: BenchRow[], role: string): string {
  // The setting where the policy paid the role most above its Shapley share.
  let worst: BenchRow | undefined;
  let gap = -Infinity;
  for (const r of rows) {
    const s = r.share[role];
    if (!s || s.paid === null) continue;
    const g = s.paid - Math.max(0, s.shapley ?? 0);
    if (g > gap) [gap, worst] = [g, r];
  }
  const s = worst?.share[role];
  return s ? `${f(s.paid, 3)} / ${f(s.shapley, 3)} (${worst!.setting})` : "–";
}

function costTable(rows: BenchRow[], verdicts: PolicyVerdict[]): string[] {
  const out = [
    "| policy | evals / round (10 nodes) | ms / round (10 nodes) | × loss-improvement (ms) | rounds unpaid while loss fell | free-rider paid / Shapley (worst setting) | noisy paid / Shapley | duplicate paid / Shapley | criteria met |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const v of verdicts) {
    const mine = rows.filter((r) => r.policy === v.policy);
    const ten = mine.filter((r) => r.nodes === 10);
    const mean = (g: (r: BenchRow) => number) =>
      ten.reduce((s, r) => s + g(r), 0) / Math.max(1, ten.length);
    const fell = mine.reduce((s, r) => s + r.roundsGlobalLossFell, 0);
    const met = Object.entries(v.meets)
      .map(([k, ok]) => (ok ? k : `~~${k}~~`))
      .join(", ");
    out.push(
      `| ${v.policy} | ${f(
        mean((r) => r.evaluationsPerRound),
        1,
      )} | ${Math.round(mean((r) => r.msPerRound))} | ${f(v.costVsLossImprovement)} | ${v.unpaidRoundsWhileLossFell} of ${fell} | ${plantedCell(mine, "free-rider")} | ${plantedCell(mine, "noisy")} | ${plantedCell(mine, "duplicate")} | ${met} |`,
    );
  }
  return out;
}

function main(): void {
  const [input, output = "docs/bench-rewards.json"] = process.argv.slice(2);
  if (!input) throw new Error("usage: reward-bench-summary.ts <bench.jsonl>... [out.json]");
  const lines = readLines(input.split(","));
  const headers = lines.filter((l) => l.bench);
  const settings = lines.filter((l) => l.setting && !l.policy);
  const rows = lines.filter((l) => l.policy) as unknown as BenchRow[];
  const choice = chooseDefault(rows, candidates(rows));
  const criteria = {
    spearmanBar: SPEARMAN_BAR,
    costBar: COST_BAR,
    plantedTolerance: PLANTED_TOLERANCE,
  };
  const doc = {
    bench: "rewards-vs-exact-shapley",
    runs: headers,
    criteria,
    settings,
    rows,
    choice,
  };
  writeFileSync(output, `${JSON.stringify(doc, null, 2)}\n`);
  const tables = [
    "Spearman vs exact Shapley, mean over rounds (worst round):",
    "",
    ...matrix(rows, (r) => `${f(r.spearman.mean)} (${f(r.spearman.worst)})`),
    "",
    "Kendall tau-b vs exact Shapley, mean over rounds (worst round):",
    "",
    ...matrix(rows, (r) => `${f(r.kendall.mean)} (${f(r.kendall.worst)})`),
    "",
    ...costTable(rows, choice.verdicts),
    "",
    `chosen default: ${choice.policy}`,
  ];
  console.log(tables.join("\n"));
}

main();

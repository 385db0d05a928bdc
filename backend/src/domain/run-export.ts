// A run's results as one document (GET /api/runs/:id/export, `fedledger export`): per round
// accuracy, loss, timing and privacy; per contribution node, samples, losses, reward and tx hash;
// and alerts. The same rows become the CSV tables.
import { z } from "zod";
import { Alert } from "./alert.js";
import { ContributionRecord } from "./contribution.js";
import type { RoundRecord } from "./round.js";
import { RunSummary } from "./run.js";

export const EXPORT_TABLES = ["rounds", "contributions", "alerts"] as const;
export type ExportTable = (typeof EXPORT_TABLES)[number];

export const ExportQuery = z.object({
  format: z.enum(["json", "csv"]).default("json"),
  /** CSV holds one table per file: which one (JSON holds them all). */
  table: z.enum(EXPORT_TABLES).default("rounds"),
});

const num = z.number().nullable();

export const ExportRound = z.object({
  round: z.number().int(),
  status: z.string(),
  startedAt: z.number(),
  finishedAt: num,
  durationMs: num,
  /** Milliseconds from the start of the run's first round to the end of this one. */
  wallTimeMs: num,
  testAccuracy: num,
  testLoss: num,
  validationLossBefore: num,
  validationLossAfter: num,
  participants: z.number().int(),
  accepted: z.number().int(),
  rejected: z.number().int(),
  /** Sum of the round's rewards, in wei. */
  rewardWei: z.string(),
  aggregation: z.string(),
  clipNorm: num,
  noiseMultiplier: num,
  aggregateNoiseMultiplier: num,
  unclippedFraction: num,
  epsilon: num,
  coordinatorEpsilon: num,
  modelHash: z.string().nullable(),
  txHash: z.string().nullable(),
});
export type ExportRound = z.infer<typeof ExportRound>;

/** Alerts the coordinator raised about the run (domain/alert.ts), oldest first. */
export const ExportAlert = Alert;

export const RunExport = z.object({
  format: z.literal("fedledger-run-export"),
  version: z.literal(1),
  exportedAt: z.number(),
  run: RunSummary,
  rounds: z.array(ExportRound),
  contributions: z.array(ContributionRecord),
  alerts: z.array(ExportAlert),
  notes: z.array(z.string()),
});
export type RunExport = z.infer<typeof RunExport>;

export function exportRounds(rounds: readonly RoundRecord[]): ExportRound[] {
  const t0 = rounds.length > 0 ? Math.min(...rounds.map((r) => r.startedAt)) : 0;
  return rounds.map((r) => {
    const accepted = r.updates.filter((u) => u.accepted);
    return {
      round: r.round,
      status: r.status,
      startedAt: r.startedAt,
      finishedAt: r.finishedAt,
      durationMs: r.durationMs,
      wallTimeMs: r.finishedAt === null ? null : r.finishedAt - t0,
      testAccuracy: r.testAccuracy,
      testLoss: r.testLoss,
      validationLossBefore: r.validationLossBefore,
      validationLossAfter: r.validationLossAfter,
      participants: r.participants.length,
      accepted: accepted.length,
      rejected: r.updates.length - accepted.length,
      rewardWei: r.updates.reduce((s, u) => s + BigInt(u.reward ?? "0"), 0n).toString(),
      aggregation: r.aggregation ?? "plain",
      clipNorm: r.privacy?.clipNorm ?? null,
      noiseMultiplier: r.privacy?.noiseMultiplier ?? null,
      aggregateNoiseMultiplier: r.privacy?.aggregateNoiseMultiplier ?? null,
      unclippedFraction: r.privacy?.unclippedFraction ?? null,
      epsilon: r.privacy?.epsilon ?? null,
      coordinatorEpsilon: r.privacy?.coordinatorEpsilon ?? null,
      modelHash: r.modelHash,
      txHash: r.txHash,
    };
  });
}

export function buildRunExport(
  run: RunSummary,
  rounds: readonly RoundRecord[],
  contributions: readonly ContributionRecord[],
  alerts: readonly Alert[],
  now = Date.now(),
): RunExport {
  return {
    format: "fedledger-run-export",
    version: 1,
    exportedAt: now,
    run,
    rounds: exportRounds(rounds),
    contributions: [...contributions],
    alerts: [...alerts],
    notes: [],
  };
}

/** snake_case column names for camelCase keys. */
const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

const COLUMNS: Record<ExportTable, readonly string[]> = {
  rounds: Object.keys(ExportRound.shape),
  contributions: [
    ...["round", "nodeId", "wallet", "samples", "lossBefore", "lossAfter", "score"],
    ...["rewardWei", "updateHash", "txHash"],
  ],
  alerts: Object.keys(ExportAlert.shape),
};

function cell(v: unknown): string {
  if (v === null || v === undefined) return "";
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** One table of an export as CSV (RFC 4180: comma-separated, CRLF, a header row). */
export function exportCsv(doc: RunExport, table: ExportTable): string {
  const columns = COLUMNS[table];
  const rows = doc[table] as readonly Record<string, unknown>[];
  const lines = [columns.map(snake).join(",")];
  for (const r of rows) lines.push(columns.map((c) => cell(r[c])).join(","));
  return `${lines.join("\r\n")}\r\n`;
}

/** Parses CSV written by exportCsv back into rows of strings keyed by column (tests, the CLI). */
export function parseCsv(text: string): Record<string, string>[] {
  const records: string[][] = [];
  let field = "";
  let row: string[] = [];
  let quoted = false;
  const endField = () => {
    row.push(field);
    field = "";
  };
  const endRow = () => {
    endField();
    records.push(row);
    row = [];
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted && c === '"' && text[i + 1] === '"') {
      field += '"';
      i++;
    } else if (c === '"') quoted = !quoted;
    else if (quoted || (c !== "," && c !== "\n" && c !== "\r")) field += c;
    else if (c === ",") endField();
    else if (c === "\n") endRow();
  }
  if (field || row.length) endRow();
  const [header = [], ...body] = records;
  return body.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ""])));
}

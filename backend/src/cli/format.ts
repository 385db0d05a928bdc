// Text output: aligned tables and the units the dashboard shows (percent, tokens, durations).
import { formatUnits } from "viem";

/** Columns padded to their widest cell; the header underlined. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

export const pct = (x: number | null | undefined, digits = 2) =>
  x === null || x === undefined || !Number.isFinite(x) ? "-" : `${(x * 100).toFixed(digits)}%`;

export const num = (x: number | null | undefined, digits = 4) =>
  x === null || x === undefined || !Number.isFinite(x) ? "-" : x.toFixed(digits);

/** Wei as tokens (18 decimals), with up to 4 fraction digits. */
export function tokens(wei: string | bigint): string {
  const [whole, fraction = ""] = formatUnits(BigInt(wei), 18).split(".");
  const f = fraction.slice(0, 4).replace(/0+$/, "");
  return f ? `${whole}.${f}` : (whole ?? "0");
}

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "-";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export const when = (ms: number | null | undefined) =>
  ms ? new Date(ms).toISOString().replace("T", " ").slice(0, 19) : "-";

/** JSON for --json output (bigints as strings). */
export const toJson = (v: unknown) =>
  JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? x.toString() : x), 2);

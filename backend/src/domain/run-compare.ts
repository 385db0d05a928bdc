// Comparing runs side by side (the dashboard's Compare page, `fedledger compare`): the settings
// that differ between them, their curves by round and by wall time, and their final metrics.
import type { RoundRecord } from "./round.js";
import type { RunSummary } from "./run.js";

export const MIN_COMPARED = 2;
export const MAX_COMPARED = 5;

/** A run config flattened to dot paths, e.g. {"strategy.name": "fedprox", "strategy.mu": 0.01}. */
export function flattenConfig(value: unknown, prefix = ""): Record<string, string> {
  if (value === null || typeof value !== "object" || Array.isArray(value))
    return prefix ? { [prefix]: JSON.stringify(value) ?? "" } : {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === "object" && !Array.isArray(v))
      Object.assign(out, flattenConfig(v, key));
    else out[key] = typeof v === "string" ? v : (JSON.stringify(v) ?? "");
  }
  return out;
}

export interface SettingDiff {
  setting: string;
  /** One value per run, in the order given ("" where a run does not have the setting). */
  values: string[];
}

/** The settings whose values are not the same in every run (the name excepted). */
export function differingSettings(runs: readonly Pick<RunSummary, "config">[]): SettingDiff[] {
  const flat = runs.map((r) => flattenConfig(r.config));
  const keys = [...new Set(flat.flatMap((f) => Object.keys(f)))].filter((k) => k !== "name");
  return keys
    .map((setting) => ({ setting, values: flat.map((f) => f[setting] ?? "") }))
    .filter((d) => new Set(d.values).size > 1)
    .sort((a, b) => a.setting.localeCompare(b.setting));
}

export interface CurvePoint {
  round: number;
  /** Seconds from the start of the run's first round to the end of this one. */
  seconds: number;
  accuracy: number;
  loss: number;
}

/** A run's evaluated rounds, in order, with their wall time. */
export function runCurve(rounds: readonly RoundRecord[]): CurvePoint[] {
  const t0 = rounds.length > 0 ? Math.min(...rounds.map((r) => r.startedAt)) : 0;
  return rounds
    .filter((r) => r.testAccuracy !== null && r.testLoss !== null)
    .map((r) => ({
      round: r.round,
      seconds: ((r.finishedAt ?? r.startedAt) - t0) / 1000,
      accuracy: r.testAccuracy!,
      loss: r.testLoss!,
    }))
    .sort((a, b) => a.round - b.round);
}

export interface FinalMetrics {
  rounds: number;
  finalAccuracy: number | null;
  finalLoss: number | null;
  bestAccuracy: number | null;
  /** Seconds from the first round's start to the last round's end. */
  wallSeconds: number | null;
  /** Every reward the run's rounds paid, in wei. */
  rewardWei: string;
}

export function finalMetrics(rounds: readonly RoundRecord[]): FinalMetrics {
  const curve = runCurve(rounds);
  const last = curve.at(-1);
  return {
    rounds: curve.length,
    finalAccuracy: last?.accuracy ?? null,
    finalLoss: last?.loss ?? null,
    bestAccuracy: curve.length > 0 ? Math.max(...curve.map((p) => p.accuracy)) : null,
    wallSeconds: last?.seconds ?? null,
    rewardWei: rounds
      .flatMap((r) => r.updates)
      .reduce((s, u) => s + BigInt(u.reward ?? "0"), 0n)
      .toString(),
  };
}

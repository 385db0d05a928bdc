// How `npm run bench:rewards` picks the default reward policy (issue 14), as a pure function of
// the bench's per-policy rows, so the choice recorded in docs/bench-rewards.json can be re-checked
// by a test against the registry's DEFAULT_REWARD.
//
// A policy meets the bar when, over every setting of the bench:
//   spearman   its per-round Spearman vs exact Shapley, averaged over rounds, is >= 0.9 in every
//              setting;
//   pays       no round paid nothing while the global model's validation loss fell;
//   planted    the free-rider and the noisy-label node were paid no more than their exact Shapley
//              share (clipped at 0) plus PLANTED_TOLERANCE of the setting's payout;
//   cost       its milliseconds per round, summed over the 10-node settings, are at most 3x
//              loss-improvement's.
// Candidates are the policies that score rounds of any size (exact Shapley, the ground truth,
// refuses rounds of more than 12 updates, so it cannot be the default). They are ranked by the
// number of criteria met, then by the worst setting's mean Spearman, then by cost.

export const SPEARMAN_BAR = 0.9;
export const COST_BAR = 3;
export const PLANTED_TOLERANCE = 0.01;
const PLANTED_ROLES = ["free-rider", "noisy"] as const;

export interface BenchRow {
  setting: string;
  model: string;
  nodes: number;
  policy: string;
  spearman: { mean: number | null; worst: number | null };
  kendall: { mean: number | null; worst: number | null };
  share: Record<string, { paid: number | null; shapley: number | null }>;
  roundsGlobalLossFell: number;
  roundsUnpaidWhileLossFell: number;
  evaluationsPerRound: number;
  msPerRound: number;
}

export interface PolicyVerdict {
  policy: string;
  /** The lowest of the settings' mean Spearman (null when never defined). */
  spearmanWorstSetting: number | null;
  settingsBelowBar: string[];
  unpaidRoundsWhileLossFell: number;
  overpaid: { setting: string; role: string; paid: number; shapley: number }[];
  /** ms per round over the 10-node settings, relative to loss-improvement's. */
  costVsLossImprovement: number;
  evaluationsVsLossImprovement: number;
  meets: { spearman: boolean; pays: boolean; planted: boolean; cost: boolean };
  met: number;
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const round3 = (x: number) => Math.round(x * 1000) / 1000;

export function verdictOf(rows: readonly BenchRow[], policy: string): PolicyVerdict {
  const mine = rows.filter((r) => r.policy === policy);
  const ten = (rs: readonly BenchRow[]) => rs.filter((r) => r.nodes === 10);
  const base = ten(rows.filter((r) => r.policy === "loss-improvement"));
  const means = mine.map((r) => r.spearman.mean);
  const defined = means.filter((x): x is number => x !== null);
  const settingsBelowBar = mine
    .filter((r) => r.spearman.mean === null || r.spearman.mean < SPEARMAN_BAR)
    .map((r) => r.setting);
  const overpaid = mine.flatMap((r) =>
    PLANTED_ROLES.flatMap((role) => {
      const s = r.share[role];
      if (!s || s.paid === null) return [];
      const shapley = Math.max(0, s.shapley ?? 0);
      return s.paid > shapley + PLANTED_TOLERANCE
        ? [{ setting: r.setting, role, paid: s.paid, shapley }]
        : [];
    }),
  );
  const unpaid = sum(mine.map((r) => r.roundsUnpaidWhileLossFell));
  const ratio = (f: (r: BenchRow) => number) =>
    round3(sum(ten(mine).map(f)) / Math.max(1e-9, sum(base.map(f))));
  const cost = ratio((r) => r.msPerRound);
  const meets = {
    spearman: settingsBelowBar.length === 0 && mine.length > 0,
    pays: unpaid === 0,
    planted: overpaid.length === 0,
    cost: cost <= COST_BAR,
  };
  return {
    policy,
    spearmanWorstSetting: defined.length ? Math.min(...defined) : null,
    settingsBelowBar,
    unpaidRoundsWhileLossFell: unpaid,
    overpaid,
    costVsLossImprovement: cost,
    evaluationsVsLossImprovement: ratio((r) => r.evaluationsPerRound),
    meets,
    met: Object.values(meets).filter(Boolean).length,
  };
}

/** The default: the best-ranked candidate (see the top of this file). */
export function chooseDefault(
  rows: readonly BenchRow[],
  candidates: readonly string[],
): { policy: string; verdicts: PolicyVerdict[] } {
  const policies = [...new Set(rows.map((r) => r.policy))];
  const verdicts = policies.map((p) => verdictOf(rows, p));
  const ranked = verdicts
    .filter((v) => candidates.includes(v.policy))
    .sort(
      (a, b) =>
        b.met - a.met ||
        (b.spearmanWorstSetting ?? -1) - (a.spearmanWorstSetting ?? -1) ||
        a.costVsLossImprovement - b.costVsLossImprovement,
    );
  if (!ranked[0]) throw new Error("no candidate policy in the bench rows");
  return { policy: ranked[0].policy, verdicts };
}

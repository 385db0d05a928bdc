// The per-run alert rules, evaluated after every round from what the run has done so far. Pure:
// the state is folded from round records, so a restarted coordinator rebuilds it from the store.
import type { AlertRules, RoundRecord } from "../domain/index.js";
import type { AlertCondition } from "./alert-center.js";

export interface RoundAlertState {
  best: { round: number; accuracy: number } | null;
  lowest: { round: number; loss: number } | null;
  /**
   * Rounds in a row each node's update was rejected (rounds it was not chosen in don't count, nor
   * updates a robust rule or the screening left out: those were valid).
   */
  streaks: Map<string, { rounds: number; lastReason: string }>;
  /** Nodes whose latest screened update was flagged anomalous, with that round's scores. */
  flagged: Map<string, { round: number; normZ: number | null; cosineZ: number | null }>;
  latest: RoundRecord | null;
  /** privacy.maxEpsilon ended the run before this round. */
  budgetStop: { round: number; projected: number | null } | null;
  /** Conditions held after the last round, and for how many rounds each has not held since. */
  held: Map<string, { condition: AlertCondition; quietRounds: number }>;
}

export function emptyRoundAlertState(): RoundAlertState {
  return {
    best: null,
    lowest: null,
    streaks: new Map(),
    flagged: new Map(),
    latest: null,
    budgetStop: null,
    held: new Map(),
  };
}

/** Folds a round's record into the state. */
export function foldRound(s: RoundAlertState, r: RoundRecord): void {
  s.latest = r;
  if (r.testAccuracy !== null && Number.isFinite(r.testAccuracy)) {
    if (!s.best || r.testAccuracy > s.best.accuracy)
      s.best = { round: r.round, accuracy: r.testAccuracy };
  }
  // The start model's loss counts as a "lowest": a first round far worse than it is diverging too.
  const start = r.validationLossBefore;
  if (!s.lowest && start !== null && Number.isFinite(start)) s.lowest = { round: 0, loss: start };
  if (r.testLoss !== null && Number.isFinite(r.testLoss)) {
    if (!s.lowest || r.testLoss < s.lowest.loss) s.lowest = { round: r.round, loss: r.testLoss };
  }
  for (const u of r.updates) {
    // Left out by a robust rule or the screening: the node delivered a valid update.
    if (u.accepted || u.filteredOut) s.streaks.delete(u.nodeId);
    else {
      const was = s.streaks.get(u.nodeId)?.rounds ?? 0;
      s.streaks.set(u.nodeId, { rounds: was + 1, lastReason: u.reason ?? "no reason given" });
    }
    if (u.anomaly) {
      if (u.anomaly.flagged) {
        s.flagged.set(u.nodeId, {
          round: r.round,
          normZ: u.anomaly.normZ,
          cosineZ: u.anomaly.cosineZ,
        });
      } else s.flagged.delete(u.nodeId);
    }
  }
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const z = (v: number | null) => (v === null ? "n/a" : `${v >= 0 ? "+" : ""}${v.toFixed(1)}`);

/** The run's key prefix: everything its rounds raise is under it (cleared when the run ends). */
export const runScope = (runId: string) => `run:${runId}:`;

/** The conditions that hold after the latest round folded into `s`. */
export function roundConditions(
  runId: string,
  rules: AlertRules,
  s: RoundAlertState,
  maxEpsilon: number | undefined,
): AlertCondition[] {
  const r = s.latest;
  if (!r) return [];
  const base = (suffix: string, nodeId: string | null = null) => ({
    key: `${runScope(runId)}${suffix}`,
    runId,
    nodeId,
  });
  const out: AlertCondition[] = [];
  const drop = accuracyDrop(rules, s, r);
  if (drop) out.push({ ...base("accuracy-drop"), ...drop });
  const diverging = lossDiverging(rules, s, r);
  if (diverging) out.push({ ...base("loss-diverging"), ...diverging });
  const failing = nodesFailing(rules, r);
  if (failing) out.push({ ...base("nodes-failing"), ...failing });
  if (rules.rejectedStreak !== null) {
    for (const [nodeId, st] of s.streaks) {
      if (st.rounds < rules.rejectedStreak) continue;
      out.push({
        ...base(`node:${nodeId}:rejected`, nodeId),
        kind: "node-rejected",
        severity: "warning",
        message: `Node ${nodeId}'s update was rejected ${st.rounds} rounds in a row (last reason: ${st.lastReason}).`,
        action:
          "Check the node's logs, data and key: a node that keeps failing validation is faulty or malicious. Deregister it if it goes on.",
      });
    }
  }
  if (rules.anomalousUpdates) {
    for (const [nodeId, f] of s.flagged) {
      out.push({
        ...base(`node:${nodeId}:anomaly`, nodeId),
        kind: "update-anomaly",
        severity: "warning",
        message: `Node ${nodeId}'s update in round ${f.round} is an outlier against the run's history: norm z ${z(f.normZ)}, cosine z ${z(f.cosineZ)}.`,
        action:
          "Inspect the node (data, code, key). Set anomaly.exclude in the run request to leave such updates out of the aggregate, with no reward.",
      });
    }
  }
  const budget = privacyBudget(rules, s, r, maxEpsilon);
  if (budget) out.push({ ...base("privacy-budget"), ...budget });
  return out;
}

type Raised = Pick<AlertCondition, "kind" | "severity" | "message" | "action">;

function accuracyDrop(rules: AlertRules, s: RoundAlertState, r: RoundRecord): Raised | undefined {
  if (rules.accuracyDropPoints === null || !s.best || r.testAccuracy === null) return undefined;
  const points = (s.best.accuracy - r.testAccuracy) * 100;
  if (points <= rules.accuracyDropPoints) return undefined;
  return {
    kind: "accuracy-drop",
    severity: "warning",
    message: `Round ${r.round}'s test accuracy ${pct(r.testAccuracy)} is ${points.toFixed(1)} points below the best, ${pct(s.best.accuracy)} at round ${s.best.round} (rule: ${rules.accuracyDropPoints} points).`,
    action:
      "Look at the round's rejected and anomalous updates and the learning rate. rollbackDropPoints restarts from the best version by itself; or stop the run.",
  };
}

function lossDiverging(rules: AlertRules, s: RoundAlertState, r: RoundRecord): Raised | undefined {
  if (rules.lossDivergenceFactor === null) return undefined;
  const loss = r.testLoss;
  const finite = loss !== null && Number.isFinite(loss);
  if (finite && (!s.lowest || loss <= rules.lossDivergenceFactor * s.lowest.loss)) return undefined;
  return {
    kind: "loss-diverging",
    severity: "critical",
    message: finite
      ? `Round ${r.round}'s test loss ${loss.toFixed(3)} is ${(loss / s.lowest!.loss).toFixed(1)}x the lowest so far (${s.lowest!.loss.toFixed(3)} ${s.lowest!.round === 0 ? "for the start model" : `at round ${s.lowest!.round}`}; rule: ${rules.lossDivergenceFactor}x).`
      : `Round ${r.round}'s test loss is not a number: the model diverged.`,
    action:
      "The run is diverging: stop it and start it again with a lower learning rate or fewer local epochs, or with a robust strategy if nodes send bad updates.",
  };
}

function nodesFailing(rules: AlertRules, r: RoundRecord): Raised | undefined {
  const chosen = r.participants.length;
  if (rules.failedFraction === null || chosen === 0) return undefined;
  const failed = r.updates.filter((u) => !u.accepted && !u.filteredOut);
  if (failed.length / chosen <= rules.failedFraction) return undefined;
  const reasons = [...new Set(failed.map((u) => u.reason ?? "no update"))].slice(0, 3).join("; ");
  return {
    kind: "nodes-failing",
    severity: "warning",
    message: `Round ${r.round}: ${failed.length} of ${chosen} chosen nodes failed, were late or were rejected (${pct(failed.length / chosen)}, rule: more than ${pct(rules.failedFraction)}). Reasons: ${reasons}.`,
    action:
      "Check the Nodes page: agents offline or killed, over the round's deadline (roundTimeoutMs) or sending updates that fail validation. Restart the agents or raise roundTimeoutMs.",
  };
}

function privacyBudget(
  rules: AlertRules,
  s: RoundAlertState,
  r: RoundRecord,
  cap: number | undefined,
): Raised | undefined {
  if (cap === undefined || rules.epsilonWarnFraction === null) return undefined;
  const spent = r.privacy?.epsilon ?? null;
  const action =
    "Models released so far stay within the cap. For more training, start a new run with a larger maxEpsilon, fewer rounds or more noise.";
  if (s.budgetStop) {
    return {
      kind: "privacy-budget",
      severity: "warning",
      message: `Privacy budget reached: round ${s.budgetStop.round} would bring epsilon to ${s.budgetStop.projected?.toPrecision(4) ?? "infinity"}, past maxEpsilon ${cap}; the run ended after round ${s.budgetStop.round - 1}.`,
      action,
    };
  }
  if (spent === null || spent < rules.epsilonWarnFraction * cap) return undefined;
  return {
    kind: "privacy-budget",
    severity: "warning",
    message: `Privacy budget nearly spent: epsilon ${spent.toPrecision(4)} after round ${r.round} is ${pct(spent / cap)} of maxEpsilon ${cap} (rule: ${pct(rules.epsilonWarnFraction)}).`,
    action,
  };
}

/**
 * Hysteresis, once per round: a condition that held keeps holding until it has been false for
 * `clearAfterRounds` rounds in a row, so one that comes and goes stays one alert.
 */
export function holdAcrossRounds(
  s: RoundAlertState,
  now: readonly AlertCondition[],
  clearAfterRounds: number,
): AlertCondition[] {
  const out = new Map(now.map((c) => [c.key, c]));
  for (const [key, h] of s.held) {
    if (out.has(key)) continue;
    h.quietRounds++;
    if (h.quietRounds < clearAfterRounds) out.set(key, h.condition);
    else s.held.delete(key);
  }
  for (const c of now)
    s.held.set(c.key, { condition: s.held.get(c.key)?.condition ?? c, quietRounds: 0 });
  return [...out.values()];
}

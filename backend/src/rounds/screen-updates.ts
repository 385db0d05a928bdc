// Screen step (between validate and aggregate): anomaly screening of the round's accepted updates
// against the run's history (rounds/update-anomaly.ts), whatever the strategy. Only when the
// coordinator sees updates: under secure aggregation it holds none, nothing is screened and no
// outcome carries `anomaly`.
import { DEFAULT_ANOMALY } from "../domain/index.js";
import type { RunEvents } from "../events/run-events.js";
import type { RunState } from "./run-state.js";
import {
  anomalyReason,
  DeltaMeasurer,
  EMPTY_HISTORY,
  extendHistory,
  scoreUpdates,
  type AnomalyHistory,
} from "./update-anomaly.js";
import type { AcceptedUpdate } from "./validate-updates.js";

/** Coordinates measured between two turns of the event loop (a CNN update has 1.66M). */
const SLICE = 1 << 17;

export interface ScreenedRound {
  /** The accepted updates still in the round (all of them unless anomaly.exclude left some out). */
  kept: AcceptedUpdate[];
  /** The run's history once this round is recorded (set on the run state after the record step). */
  history: AnomalyHistory | undefined;
}

/**
 * Sets `outcome.anomaly` on every accepted update; with anomaly.exclude a flagged one becomes
 * rejected with the reason (so it is neither aggregated nor scored: no reward, no contribution).
 * Logs a warning naming the flagged updates. The run's history is not changed here.
 */
export async function screenUpdates(
  run: RunState,
  round: number,
  start: Float32Array,
  accepted: readonly AcceptedUpdate[],
  events: RunEvents,
): Promise<ScreenedRound> {
  if (!run.aggregator.seesUpdates || accepted.length === 0)
    return { kept: [...accepted], history: undefined };
  // A run stored before anomaly screening existed has no `anomaly` in its config: the defaults.
  const spec = (run.config.anomaly as typeof run.config.anomaly | undefined) ?? DEFAULT_ANOMALY;
  const slices = new DeltaMeasurer(
    start,
    accepted.map((a) => a.submission.weights),
  ).slices(SLICE);
  let step = slices.next();
  for (; !step.done; step = slices.next()) await new Promise((r) => setImmediate(r));
  const measures = step.value;
  const history = run.anomalyHistory ?? EMPTY_HISTORY;
  const scored = scoreUpdates(measures, history, spec);
  const flagged: string[] = [];
  accepted.forEach(({ outcome }, i) => {
    const a = scored[i]!;
    outcome.anomaly = a;
    if (!a.flagged) return;
    const why = anomalyReason(a, spec.threshold);
    flagged.push(
      `${outcome.nodeId} (${why.replace(/^anomalous update: /, "")}${a.excluded ? ", excluded" : ""})`,
    );
    if (a.excluded) {
      outcome.accepted = false;
      outcome.reason = why;
      outcome.filteredOut = true;
    }
  });
  if (flagged.length > 0) {
    const kept = spec.exclude && !scored.some((a) => a.excluded);
    await events.publish({
      type: "log",
      runId: run.runId,
      level: "warn",
      message: `round ${round}: ${flagged.length} of ${scored.length} updates flagged anomalous: ${flagged.join("; ")}${kept ? " (most of the round: none excluded)" : ""}`,
    });
  }
  return {
    kept: accepted.filter((a) => a.outcome.accepted),
    history: extendHistory(history, scored, spec),
  };
}

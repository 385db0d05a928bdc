// Following a run over its event stream (`fedledger run`, `fedledger logs -f`): one line per
// event worth a line, a progress bar on a terminal, reconnection when the stream drops, and the
// run's final status at the end.
import { isFinished, RunEvent, type RunStatus } from "../domain/index.js";
import type { CoordinatorClient } from "./client.js";
import { CliError, EXIT } from "./command.js";
import { pct, tokens } from "./format.js";

/** A line for an event, or undefined for the ones only the progress bar shows. */
export function eventLine(e: RunEvent, totalRounds?: number): string | undefined {
  const of = totalRounds ? `/${totalRounds}` : "";
  switch (e.type) {
    case "run-status":
      return `status ${e.status}${e.error ? `: ${e.error}` : ""}`;
    case "round-started":
      return `round ${e.round}${of} started with ${e.participants.length} node(s)`;
    case "node-finished":
      return e.accepted ? undefined : `round ${e.round}: ${e.nodeId} rejected (${e.reason ?? "?"})`;
    case "round-aggregated":
      return `round ${e.round}${of}  accuracy ${pct(e.testAccuracy)}  loss ${e.testLoss.toFixed(4)}  ${e.accepted} accepted, ${e.rejected} rejected  ${(e.durationMs / 1000).toFixed(1)} s`;
    case "contribution-recorded":
      return `round ${e.round} recorded on chain: ${tokens(e.totalRewardWei)} FLR in ${e.txHash}`;
    case "log":
      return `${e.level === "info" ? "" : `${e.level}: `}${e.message}`;
    default:
      return undefined;
  }
}

/** A one-line progress bar: rounds done, and the current round's node progress. */
export function progressBar(done: number, total: number, detail: string, width = 28): string {
  const f = total > 0 ? Math.min(1, done / total) : 0;
  const filled = Math.round(f * width);
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${total} rounds ${detail}`;
}

export interface FollowOptions {
  /** Called with every event, replayed history included. */
  onEvent: (e: RunEvent) => void;
  /** Called once the history has been replayed (the stream's ": replay done"). */
  onReplayed?: () => void;
  /** Stop after the history (logs without -f). */
  historyOnly?: boolean;
  signal?: AbortSignal;
}

/**
 * Reads a run's events until it reaches a finished status (returned), or until the history is
 * replayed with historyOnly (returns undefined). A dropped stream is reopened; the coordinator
 * replays the history on every connection, so the events already seen are skipped.
 */
export async function followRun(
  client: CoordinatorClient,
  runId: string,
  opts: FollowOptions,
): Promise<RunStatus | undefined> {
  let seen = 0;
  let last: RunStatus | undefined;
  for (let attempt = 0; ; attempt++) {
    let index = 0;
    try {
      for await (const item of client.events(runId, opts.signal)) {
        if (item.kind === "comment") {
          if (item.text !== "replay done") continue;
          opts.onReplayed?.();
          if (opts.historyOnly) return undefined;
          if (last && isFinished(last)) return last;
          continue;
        }
        const parsed = RunEvent.safeParse(item.data);
        if (!parsed.success || index++ < seen) continue;
        seen++;
        attempt = 0;
        opts.onEvent(parsed.data);
        if (parsed.data.type === "run-status") last = parsed.data.status;
        if (last && isFinished(last) && parsed.data.type === "run-status") return last;
      }
    } catch (err) {
      if (!(err instanceof CliError) || err.code !== EXIT.unreachable || attempt >= 5) throw err;
    }
    if (opts.signal?.aborted) return last;
    await new Promise((r) => setTimeout(r, Math.min(5_000, 250 * 2 ** attempt)));
  }
}

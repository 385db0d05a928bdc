import { useEffect, useReducer, useState } from "react";
import type { RunEvent } from "../../../backend/src/domain/index";
import { foldRunEvent, initialRunProgress, type RunProgress } from "./run-progress";

export const RUN_EVENT_TYPES: readonly RunEvent["type"][] = [
  "run-status",
  "round-started",
  "node-progress",
  "node-finished",
  "round-aggregated",
  "contribution-recorded",
  "log",
];

type Action =
  { kind: "reset"; runId: string; localEpochs: number } | { kind: "event"; event: RunEvent };

function reducer(state: RunProgress, action: Action): RunProgress {
  return action.kind === "reset"
    ? initialRunProgress(action.runId, action.localEpochs)
    : foldRunEvent(state, action.event);
}

export type StreamState = "idle" | "connecting" | "live" | "reconnecting";

/**
 * Follows GET /api/runs/:id/events. The server replays the run's history on every connection,
 * so the state is rebuilt from scratch on each (re)connect and never double-counts.
 */
export function useRunEvents(
  runId: string | undefined,
  localEpochs = 1,
): { progress: RunProgress; stream: StreamState } {
  const [progress, dispatch] = useReducer(reducer, initialRunProgress(runId ?? "", localEpochs));
  const [stream, setStream] = useState<StreamState>("idle");

  useEffect(() => {
    dispatch({ kind: "reset", runId: runId ?? "", localEpochs });
    if (!runId) {
      setStream("idle");
      return;
    }
    setStream("connecting");
    const source = new EventSource(`/api/runs/${encodeURIComponent(runId)}/events`);
    source.onopen = () => {
      dispatch({ kind: "reset", runId, localEpochs });
      setStream("live");
    };
    source.onerror = () => setStream("reconnecting");
    const onMessage = (msg: MessageEvent<string>) => {
      try {
        dispatch({ kind: "event", event: JSON.parse(msg.data) as RunEvent });
      } catch {
        /* a malformed frame is skipped; the next replay rebuilds the state */
      }
    };
    for (const type of RUN_EVENT_TYPES) source.addEventListener(type, onMessage);
    return () => source.close();
  }, [runId, localEpochs]);

  return { progress, stream };
}

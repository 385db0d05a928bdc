// A run's states and the only ways between them. Every status change in the store is a guarded
// transition (UPDATE … WHERE status IN (from)), so two actors (a user's stop, the run's own loop,
// a restart) can never undo each other: whoever moves first wins and the other sees it.
import type { RunAction, RunStatus } from "./run.js";

/** States a run never leaves. */
export const FINISHED: readonly RunStatus[] = ["stopped", "completed", "failed"];

/** What a user's action does, from which states. */
export const ACTIONS: Record<RunAction, { from: readonly RunStatus[]; to: RunStatus }> = {
  pause: { from: ["queued", "pending", "running"], to: "paused" },
  // A resumed run waits for a place like a new one; the scheduler starts it.
  resume: { from: ["paused"], to: "queued" },
  stop: { from: ["queued", "pending", "running", "paused"], to: "stopped" },
};

/** The run's own moves: admitted by the scheduler, started, finished. */
export const LIFECYCLE = {
  admit: { from: ["queued"], to: "pending" },
  start: { from: ["pending"], to: "running" },
  complete: { from: ["running"], to: "completed" },
  fail: { from: ["queued", "pending", "running", "paused"], to: "failed" },
} as const satisfies Record<string, { from: readonly RunStatus[]; to: RunStatus }>;

export function isFinished(status: RunStatus): boolean {
  return FINISHED.includes(status);
}

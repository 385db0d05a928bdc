import type { RoundTraffic, RunEvent, RunStatus } from "../../../backend/src/domain/index";

/** One aggregated round as the charts and tables need it. */
export interface RoundPoint {
  round: number;
  testLoss: number;
  testAccuracy: number;
  accepted: number;
  rejected: number;
  durationMs: number;
  modelHash: string;
  txHash?: string;
  totalRewardWei?: string;
  /** Bytes moved (rounds recorded before traffic was measured have none). */
  traffic?: RoundTraffic;
}

export interface NodeProgress {
  nodeId: string;
  /** 0..1 over all local epochs of the current round. */
  fraction: number;
  epoch: number;
  batch: number;
  batches: number;
  loss: number | null;
  state: "waiting" | "training" | "accepted" | "rejected";
  reason?: string;
}

export interface LogLine {
  seq: number;
  level: "info" | "warn" | "error";
  message: string;
}

export interface RunProgress {
  runId: string;
  localEpochs: number;
  status?: RunStatus;
  error?: string;
  currentRound: number | null;
  participants: string[];
  nodes: Record<string, NodeProgress>;
  rounds: RoundPoint[];
  log: LogLine[];
  seq: number;
}

export const MAX_LOG_LINES = 500;

export function initialRunProgress(runId: string, localEpochs = 1): RunProgress {
  return {
    runId,
    localEpochs: Math.max(1, localEpochs),
    currentRound: null,
    participants: [],
    nodes: {},
    rounds: [],
    log: [],
    seq: 0,
  };
}

function appendLog(state: RunProgress, level: LogLine["level"], message: string): RunProgress {
  const seq = state.seq + 1;
  const log = [...state.log, { seq, level, message }];
  return { ...state, seq, log: log.length > MAX_LOG_LINES ? log.slice(-MAX_LOG_LINES) : log };
}

function upsertRound(rounds: RoundPoint[], point: RoundPoint): RoundPoint[] {
  const others = rounds.filter((r) => r.round !== point.round);
  return [...others, point].sort((a, b) => a.round - b.round);
}

/** Round progress: the share of this round's participants whose update has been judged. */
export function roundFraction(state: RunProgress): number {
  if (state.participants.length === 0) return 0;
  const done = state.participants.filter((id) => {
    const s = state.nodes[id]?.state;
    return s === "accepted" || s === "rejected";
  }).length;
  return done / state.participants.length;
}

/** Folds one server event into the live view of a run. Pure: same events, same state. */
export function foldRunEvent(state: RunProgress, event: RunEvent): RunProgress {
  if (event.runId !== state.runId) return state;
  switch (event.type) {
    case "run-status": {
      const next = { ...state, status: event.status, error: event.error };
      const level = event.status === "failed" ? "error" : "info";
      return appendLog(next, level, `Run ${event.status}${event.error ? `: ${event.error}` : ""}`);
    }
    case "round-started": {
      const nodes: Record<string, NodeProgress> = {};
      for (const id of event.participants)
        nodes[id] = {
          nodeId: id,
          fraction: 0,
          epoch: 0,
          batch: 0,
          batches: 0,
          loss: null,
          state: "waiting",
        };
      return appendLog(
        { ...state, currentRound: event.round, participants: event.participants, nodes },
        "info",
        `Round ${event.round} started with ${event.participants.length} node(s): ${event.participants.join(", ")}`,
      );
    }
    case "node-progress": {
      if (event.round !== state.currentRound) return state;
      const prev = state.nodes[event.nodeId];
      if (prev && (prev.state === "accepted" || prev.state === "rejected")) return state;
      const total = state.localEpochs * Math.max(1, event.batches);
      const fraction = Math.min(1, (event.epoch * event.batches + event.batch) / total);
      return {
        ...state,
        nodes: {
          ...state.nodes,
          [event.nodeId]: {
            nodeId: event.nodeId,
            fraction,
            epoch: event.epoch,
            batch: event.batch,
            batches: event.batches,
            loss: event.loss,
            state: "training",
          },
        },
      };
    }
    case "node-finished": {
      if (event.round !== state.currentRound) return state;
      const prev = state.nodes[event.nodeId];
      const node: NodeProgress = {
        nodeId: event.nodeId,
        epoch: prev?.epoch ?? 0,
        batch: prev?.batch ?? 0,
        batches: prev?.batches ?? 0,
        loss: prev?.loss ?? null,
        fraction: 1,
        state: event.accepted ? "accepted" : "rejected",
        reason: event.reason,
      };
      const next = { ...state, nodes: { ...state.nodes, [event.nodeId]: node } };
      return event.accepted
        ? next
        : appendLog(
            next,
            "warn",
            `Round ${event.round}: update from ${event.nodeId} rejected${event.reason ? ` (${event.reason})` : ""}`,
          );
    }
    case "round-aggregated": {
      const existing = state.rounds.find((r) => r.round === event.round);
      const point: RoundPoint = {
        round: event.round,
        testLoss: event.testLoss,
        testAccuracy: event.testAccuracy,
        accepted: event.accepted,
        rejected: event.rejected,
        durationMs: event.durationMs,
        modelHash: event.modelHash,
        ...(event.traffic ? { traffic: event.traffic } : {}),
        txHash: existing?.txHash,
        totalRewardWei: existing?.totalRewardWei,
      };
      return appendLog(
        { ...state, rounds: upsertRound(state.rounds, point) },
        "info",
        `Round ${event.round} aggregated: test accuracy ${(event.testAccuracy * 100).toFixed(2)}%, loss ${event.testLoss.toFixed(4)} (${event.accepted} accepted, ${event.rejected} rejected)`,
      );
    }
    case "contribution-recorded": {
      const existing = state.rounds.find((r) => r.round === event.round);
      const rounds = existing
        ? upsertRound(state.rounds, {
            ...existing,
            txHash: event.txHash,
            totalRewardWei: event.totalRewardWei,
          })
        : state.rounds;
      return appendLog(
        { ...state, rounds },
        "info",
        `Round ${event.round} recorded on chain in ${event.txHash}`,
      );
    }
    case "log":
      return appendLog(state, event.level, event.message);
    default:
      return state;
  }
}

export function foldRunEvents(state: RunProgress, events: readonly RunEvent[]): RunProgress {
  return events.reduce(foldRunEvent, state);
}

// Resource use: remote agents' latest reports (GET /api/nodes, `resources`), what each node's
// update cost per round with its anomaly screening (GET /api/runs/:id/rounds, UpdateOutcome), and
// the coordinator's own process (GET /api/health, `process`).
import { useQuery } from "@tanstack/react-query";
import type {
  NodeResourceReport,
  NodeSummary,
  RoundRecord,
  UpdateAnomaly,
  UpdateResources,
} from "../../../backend/src/domain/index";
import { api, type Health } from "./client";
import { queryKeys } from "./queries";

/**
 * The coordinator's own resource use (GET /api/health `process`; CoordinatorProcess in the
 * backend's api-schemas.ts): CPU and event-loop delay over the window since the previous reading.
 */
export interface CoordinatorProcess {
  /** Process CPU time over the window, worker threads included (100 = one core). */
  cpuPercent: number;
  eventLoopLagMs: { mean: number; p99: number; max: number };
  windowMs: number;
  rssBytes: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  uptimeSeconds: number;
  trainingWorkers: { alive: number; busy: number };
}

// The agents report every half second while training; the table follows within a few seconds.
const RESOURCES_POLL_MS = 3_000;
const ROUNDS_POLL_MS = 6_000;

/** One remote agent's latest report, for the current-resources table. */
export interface AgentResourceRow extends NodeResourceReport {
  nodeId: string;
  status: NodeSummary["status"];
}

/** Remote agents online now with a resource report, by node id. */
export function currentResources(nodes: readonly NodeSummary[]): AgentResourceRow[] {
  return nodes
    .filter((n): n is NodeSummary & { resources: NodeResourceReport } => !!n.resources)
    .map((n) => ({ ...n.resources, nodeId: n.id, status: n.status }))
    .sort((a, b) => a.nodeId.localeCompare(b.nodeId));
}

/** One node's update in one round: what it cost and how its screening judged it. */
export interface RoundResourceRow {
  round: number;
  nodeId: string;
  accepted: boolean;
  reason?: string;
  resources: UpdateResources | null;
  anomaly: UpdateAnomaly | null;
}

/** Every update of a run's rounds, latest round first, nodes by id within a round. */
export function roundResourceRows(rounds: readonly RoundRecord[]): RoundResourceRow[] {
  return [...rounds]
    .sort((a, b) => b.round - a.round)
    .flatMap((r) =>
      [...r.updates]
        .sort((a, b) => a.nodeId.localeCompare(b.nodeId))
        .map((u) => ({
          round: r.round,
          nodeId: u.nodeId,
          accepted: u.accepted,
          ...(u.reason ? { reason: u.reason } : {}),
          resources: u.resources ?? null,
          anomaly: u.anomaly ?? null,
        })),
    );
}

/** How many of a run's updates were flagged, per node (nodes never flagged are left out). */
export function flaggedCounts(rows: readonly RoundResourceRow[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of rows) if (r.anomaly?.flagged) out.set(r.nodeId, (out.get(r.nodeId) ?? 0) + 1);
  return out;
}

/** The coordinator's process figures of a health report (absent from older coordinators). */
export function coordinatorProcess(health: Health | undefined): CoordinatorProcess | undefined {
  const p = (health as (Health & { process?: unknown }) | undefined)?.process;
  if (!p || typeof p !== "object") return undefined;
  const c = p as Partial<CoordinatorProcess>;
  return typeof c.cpuPercent === "number" && typeof c.rssBytes === "number"
    ? (c as CoordinatorProcess)
    : undefined;
}

/** Remote agents' latest resource reports (shares the node list's cache, polled faster). */
export function useAgentResources() {
  return useQuery({
    queryKey: queryKeys.nodes,
    queryFn: api.nodes,
    refetchInterval: RESOURCES_POLL_MS,
    select: currentResources,
  });
}

/** Per round and node: resources and anomaly flags of a run's updates (shares the rounds cache). */
export function useRoundResources(runId: string | undefined) {
  return useQuery({
    queryKey: queryKeys.rounds(runId ?? ""),
    queryFn: () => api.rounds(runId ?? ""),
    enabled: !!runId,
    refetchInterval: ROUNDS_POLL_MS,
    select: roundResourceRows,
  });
}

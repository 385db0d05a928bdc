import { useQuery } from "@tanstack/react-query";
import type { ContributionTotals } from "../../../backend/src/domain/index";
import { api } from "./client";

// Polling keeps every page current without a reload; live training data comes over SSE instead.
const FAST = 3_000;
const SLOW = 6_000;

export const queryKeys = {
  health: ["health"] as const,
  runs: ["runs"] as const,
  rounds: (runId: string) => ["rounds", runId] as const,
  runNodes: (runId: string) => ["run-nodes", runId] as const,
  nodes: ["nodes"] as const,
  contributionTotals: (run?: string) => ["contribution-totals", run ?? ""] as const,
  rewards: (address: string) => ["rewards", address.toLowerCase()] as const,
};

export function useHealth() {
  return useQuery({ queryKey: queryKeys.health, queryFn: api.health, refetchInterval: FAST });
}

export function useRuns() {
  return useQuery({ queryKey: queryKeys.runs, queryFn: api.runs, refetchInterval: FAST });
}

export function useRounds(runId: string | undefined) {
  return useQuery({
    queryKey: queryKeys.rounds(runId ?? ""),
    queryFn: () => api.rounds(runId ?? ""),
    enabled: !!runId,
    refetchInterval: SLOW,
  });
}

export function useRunNodes(runId: string | undefined) {
  return useQuery({
    queryKey: queryKeys.runNodes(runId ?? ""),
    queryFn: () => api.runNodes(runId ?? ""),
    enabled: !!runId,
    staleTime: 60_000,
  });
}

export function useNodes() {
  return useQuery({ queryKey: queryKeys.nodes, queryFn: api.nodes, refetchInterval: SLOW });
}

/**
 * The store's totals for a run (or all runs). `pollMs` may depend on the totals last read, e.g. to
 * poll faster while they trail the chain; `enabled: false` reads nothing.
 */
export function useContributionTotals(
  run: string | undefined,
  opts: { enabled?: boolean; pollMs?: (data: ContributionTotals | undefined) => number } = {},
) {
  const pollMs = opts.pollMs ?? (() => SLOW);
  return useQuery({
    queryKey: queryKeys.contributionTotals(run),
    queryFn: () => api.contributionTotals(run),
    enabled: opts.enabled ?? true,
    refetchInterval: (query) => pollMs(query.state.data),
  });
}

export function useRewardsSummary(address: string | undefined) {
  return useQuery({
    queryKey: queryKeys.rewards(address ?? ""),
    queryFn: () => api.rewards(address ?? ""),
    enabled: !!address,
    refetchInterval: SLOW,
  });
}

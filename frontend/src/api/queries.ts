import { useQuery } from "@tanstack/react-query";
import type { ContributionRecord } from "../../../backend/src/api/schemas";
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
  contributions: (run?: string, node?: string) => ["contributions", run ?? "", node ?? ""] as const,
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

/** `pollMs` may depend on the data last read, e.g. to poll faster while it trails the chain. */
export function useContributions(
  run?: string,
  node?: string,
  pollMs: (data: ContributionRecord[] | undefined) => number = () => SLOW,
) {
  return useQuery({
    queryKey: queryKeys.contributions(run, node),
    queryFn: () => api.contributions({ run, node }),
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

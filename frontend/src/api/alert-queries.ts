import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import type {
  Alert,
  AlertChange,
  AlertSeverity,
  ContributionRecord,
  UpdateAnomaly,
} from "../../../backend/src/domain/index";
import { ApiError, request } from "./client";
import { readAdminToken } from "./settings";

/** Which alerts GET /api/alerts lists: active = not cleared; unacknowledged = active and not acknowledged. */
export type AlertStatus = "active" | "unacknowledged" | "all";
export const ALERT_STATUSES: readonly AlertStatus[] = ["active", "unacknowledged", "all"];

export interface AlertList {
  /** Newest first. */
  alerts: Alert[];
  counts: { active: number; unacknowledged: number };
}

/** The data of an SSE `alert` event (GET /api/alerts/events). */
export interface AlertEventData {
  change: AlertChange;
  alert: Alert;
}

export interface AlertsFilter {
  status: AlertStatus;
  run?: string;
  limit?: number;
}

// The alert stream refreshes the lists as alerts change; this poll only covers a stream that is down.
const ALERT_POLL_MS = 30_000;
// The stored contributions change once a round; the Ledger page reads their anomaly flags.
const CONTRIBUTIONS_POLL_MS = 15_000;
/** The coordinator's cap on GET /api/contributions (ContributionsQuery). */
const CONTRIBUTIONS_LIMIT = 10_000;

const call = <T>(method: "GET" | "POST", path: string) => request<T>(method, path);

export const alertApi = {
  list: (filter: AlertsFilter) => {
    const q = new URLSearchParams({ status: filter.status });
    if (filter.run) q.set("run", filter.run);
    if (filter.limit) q.set("limit", String(filter.limit));
    return call<AlertList>("GET", `/alerts?${q.toString()}`);
  },
  acknowledge: (id: number) => call<Alert>("POST", `/alerts/${id}/acknowledge`),
  /** Stored contributions with their anomaly screening (GET /api/contributions). */
  storedContributions: (run?: string) => {
    const q = new URLSearchParams({ limit: String(CONTRIBUTIONS_LIMIT), flagged: "true" });
    if (run) q.set("run", run);
    return call<ContributionRecord[]>("GET", `/contributions?${q.toString()}`);
  },
};

export const alertKeys = {
  all: ["alerts"] as const,
  list: (f: AlertsFilter) => ["alerts", f.status, f.run ?? "", f.limit ?? 0] as const,
  storedContributions: (run?: string) => ["stored-contributions", run ?? ""] as const,
};

export function useAlerts(filter: AlertsFilter, opts: { enabled?: boolean } = {}) {
  return useQuery({
    queryKey: alertKeys.list(filter),
    queryFn: () => alertApi.list(filter),
    enabled: opts.enabled ?? true,
    // A changed filter keeps the list on screen until the new one arrives.
    placeholderData: keepPreviousData,
    refetchInterval: ALERT_POLL_MS,
  });
}

/** What an acknowledge call that failed means for the user, and what to do about it. */
export function acknowledgeErrorMessage(err: unknown, hasToken = !!readAdminToken()): string {
  if (err instanceof ApiError && (err.status === 401 || err.status === 403))
    return hasToken
      ? "The coordinator refused the admin token saved in this browser. Check it under Settings (it must equal the coordinator's ADMIN_TOKEN)."
      : "Acknowledging needs the coordinator's admin token: paste it under Settings (the coordinator's ADMIN_TOKEN).";
  if (err instanceof ApiError && err.code === "alert_not_found")
    return "The coordinator has no such alert any more; the list is refreshed.";
  return err instanceof Error ? err.message : String(err);
}

export function useAcknowledgeAlert() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: number) => alertApi.acknowledge(id),
    onSettled: () => qc.invalidateQueries({ queryKey: alertKeys.all }),
  });
}

// One EventSource for the whole page, however many components follow the alerts.
type Listener = (event: AlertEventData | null) => void;
const listeners = new Set<Listener>();
let source: EventSource | null = null;
/** EventSource.CLOSED: the browser gave up on the stream. */
const CLOSED = 2;
const REOPEN_MS = 30_000;

function openSource(): void {
  if (source || typeof EventSource === "undefined") return;
  const es = new EventSource("/api/alerts/events");
  source = es;
  // (Re)connected: events may have been missed meanwhile, so listeners refetch (event null).
  es.onopen = () => listeners.forEach((l) => l(null));
  // The browser retries a dropped stream itself, but not one refused (e.g. 429, too many open):
  // that one is retried here after a while, the poll covering the gap.
  es.onerror = () => {
    if (es.readyState !== CLOSED || source !== es) return;
    source = null;
    setTimeout(() => {
      if (listeners.size > 0) openSource();
    }, REOPEN_MS);
  };
  es.addEventListener("alert", (msg: MessageEvent<string>) => {
    let data: AlertEventData;
    try {
      data = JSON.parse(msg.data) as AlertEventData;
    } catch {
      return; // a malformed frame: the next event or poll refreshes the lists anyway
    }
    listeners.forEach((l) => l(data));
  });
}

/** Follows GET /api/alerts/events while subscribed; returns the unsubscribe. */
export function subscribeAlertEvents(listener: Listener): () => void {
  listeners.add(listener);
  openSource();
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && source) {
      source.close();
      source = null;
    }
  };
}

/** Keeps every alert list current: each alert event (and each reconnect) refetches them. */
export function useLiveAlerts(): void {
  const qc = useQueryClient();
  useEffect(
    () =>
      subscribeAlertEvents(() => {
        // A refetch already under way is kept, not restarted, when several components subscribe.
        void qc.invalidateQueries({ queryKey: alertKeys.all }, { cancelRefetch: false });
      }),
    [qc],
  );
}

const SEVERITY_RANK: Record<AlertSeverity, number> = { info: 0, warning: 1, critical: 2 };

/** The worst severity among the alerts, or null for none. */
export function worstSeverity(alerts: readonly Pick<Alert, "severity">[]): AlertSeverity | null {
  let worst: AlertSeverity | null = null;
  for (const a of alerts)
    if (worst === null || SEVERITY_RANK[a.severity] > SEVERITY_RANK[worst]) worst = a.severity;
  return worst;
}

/** The key joining a stored contribution to its chain event: its round and update hash. */
export const contributionKey = (round: number, updateHash: string) =>
  `${round}:${updateHash.toLowerCase()}`;

/** The anomaly screening of every stored contribution that was flagged, by contributionKey. */
export function useFlaggedContributions(run: string | undefined, opts: { enabled?: boolean } = {}) {
  return useQuery({
    queryKey: alertKeys.storedContributions(run),
    queryFn: () => alertApi.storedContributions(run),
    enabled: opts.enabled ?? true,
    refetchInterval: CONTRIBUTIONS_POLL_MS,
    select: flaggedByKey,
  });
}

function flaggedByKey(records: ContributionRecord[]): Map<string, UpdateAnomaly> {
  const flagged = new Map<string, UpdateAnomaly>();
  for (const r of records)
    if (r.anomaly?.flagged) flagged.set(contributionKey(r.round, r.updateHash), r.anomaly);
  return flagged;
}

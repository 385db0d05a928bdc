import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { act, cleanup, render, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Alert } from "../../../backend/src/domain/index";
import type { AlertList } from "../api/alert-queries";
import { AlertBadge } from "./AlertBadge";

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const alert = (id: number, severity: Alert["severity"]): Alert => ({
  id,
  kind: "nodes-failing",
  severity,
  runId: "run-0123456789",
  nodeId: null,
  message: "3 of 4 chosen nodes failed",
  action: "Check the nodes",
  raisedAt: 1_700_000_000_000 + id,
  clearedAt: null,
  acknowledgedAt: null,
});

const listOf = (alerts: Alert[]): AlertList => ({
  alerts,
  counts: { active: alerts.length, unacknowledged: alerts.length },
});

class FakeEventSource {
  static last: FakeEventSource | undefined;
  onopen: (() => void) | null = null;
  onerror: (() => void) | null = null;
  private readonly handlers: ((e: MessageEvent<string>) => void)[] = [];
  constructor(readonly url: string) {
    FakeEventSource.last = this;
  }
  addEventListener(_type: string, fn: (e: MessageEvent<string>) => void) {
    this.handlers.push(fn);
  }
  close() {}
  emit(data: unknown) {
    for (const fn of this.handlers) fn(new MessageEvent("alert", { data: JSON.stringify(data) }));
  }
}

/** Serves GET /api/alerts from `current` (changed by the test between calls). */
function serve(initial: AlertList) {
  const state = { current: initial };
  const fetchFn = vi.fn((url: string) => {
    expect(url).toBe("/api/alerts?status=unacknowledged");
    return Promise.resolve(Response.json(state.current));
  });
  vi.stubGlobal("fetch", fetchFn);
  return { state, fetchFn };
}

function renderBadge() {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={client}>
      <AlertBadge />
    </QueryClientProvider>,
  );
}

beforeEach(() => vi.stubGlobal("EventSource", FakeEventSource));

describe("AlertBadge", () => {
  it("counts the unacknowledged alerts, coloured by the worst, linking to the Alerts page", async () => {
    serve(listOf([alert(2, "warning"), alert(1, "critical"), alert(3, "info")]));
    renderBadge();
    const badge = await screen.findByTestId("alert-badge");
    expect(badge.textContent).toContain("3 alerts");
    expect(badge.getAttribute("data-severity")).toBe("critical");
    expect(badge.className).toContain("alert-pill-bad");
    expect(badge.getAttribute("href")).toBe("#/alerts?status=unacknowledged");
    expect(badge.getAttribute("title")).toBe(
      "3 active alerts not acknowledged (1 critical, 1 warning, 1 info)",
    );
  });

  it("is amber for warnings and hidden at zero", async () => {
    const { state } = serve(listOf([alert(1, "warning")]));
    renderBadge();
    const badge = await screen.findByTestId("alert-badge");
    expect(badge.className).toContain("alert-pill-warn");
    expect(badge.textContent).toContain("1 alert");

    // The stream says it was acknowledged: the badge refetches and disappears.
    state.current = listOf([]);
    act(() => FakeEventSource.last?.emit({ change: "acknowledged", alert: alert(1, "warning") }));
    await waitFor(() => expect(screen.queryByTestId("alert-badge")).toBeNull());
  });

  it("follows the alert stream: a raised alert shows without waiting for the poll", async () => {
    const { state, fetchFn } = serve(listOf([]));
    renderBadge();
    await waitFor(() => expect(fetchFn).toHaveBeenCalledTimes(1));
    expect(screen.queryByTestId("alert-badge")).toBeNull();
    expect(FakeEventSource.last?.url).toBe("/api/alerts/events");

    state.current = listOf([alert(5, "critical")]);
    act(() => FakeEventSource.last?.emit({ change: "raised", alert: alert(5, "critical") }));
    const badge = await screen.findByTestId("alert-badge");
    expect(badge.getAttribute("data-severity")).toBe("critical");
    expect(badge.getAttribute("data-count")).toBe("1");
  });
});

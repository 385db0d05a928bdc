import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { cleanup, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Alert } from "../../../backend/src/domain/index";
import { AlertRunList } from "./AlertRunList";

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const RUN = "run-0123456789";
const alert = (id: number, over: Partial<Alert> = {}): Alert => ({
  id,
  kind: "node-rejected",
  severity: "warning",
  runId: RUN,
  nodeId: "sim-3",
  message: "sim-3's update was rejected 3 rounds in a row",
  action: "Look at sim-3's rejection reasons on the Nodes page",
  raisedAt: 1_700_000_000_000,
  clearedAt: null,
  acknowledgedAt: null,
  ...over,
});

function renderList(alerts: Alert[]) {
  const fetchFn = vi.fn(() =>
    Promise.resolve(
      Response.json({ alerts, counts: { active: alerts.length, unacknowledged: alerts.length } }),
    ),
  );
  vi.stubGlobal("fetch", fetchFn);
  vi.stubGlobal("EventSource", undefined);
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={client}>
      <AlertRunList runId={RUN} />
    </QueryClientProvider>,
  );
  return fetchFn;
}

describe("AlertRunList", () => {
  it("lists the run's active alerts compactly, with a link to them on the Alerts page", async () => {
    const fetchFn = renderList([
      alert(2, { severity: "critical", kind: "loss-diverging", nodeId: null }),
      alert(1, { acknowledgedAt: 1_700_000_050_000 }),
    ]);
    const items = await screen.findAllByTestId("run-alert");
    expect(fetchFn).toHaveBeenCalledWith(`/api/alerts?status=active&run=${RUN}`, expect.anything());
    expect(items).toHaveLength(2);
    expect(items[0]?.textContent).toContain("Loss diverging");
    expect(items[1]?.textContent).toContain("sim-3");
    expect(items[1]?.textContent).toContain("acknowledged");
    expect(items[1]?.getAttribute("title")).toBe(
      "What to do: Look at sim-3's rejection reasons on the Nodes page",
    );
    expect(screen.getByText("2 active alerts")).toBeTruthy();
    expect(screen.getByTestId("run-alerts").className).toContain("run-alerts-critical");
    expect(screen.getByRole("link").getAttribute("href")).toBe(`#/alerts?status=active&run=${RUN}`);
  });

  it("shows nothing while the run has no active alert", async () => {
    const fetchFn = renderList([]);
    await waitFor(() => expect(fetchFn).toHaveBeenCalled());
    expect(screen.queryByTestId("run-alerts")).toBeNull();
  });
});

import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Alert } from "../../../backend/src/domain/index";
import type { AlertList } from "../api/alert-queries";
import { writeAdminToken } from "../api/settings";
import { useRoute } from "../router";
import { AlertsPage } from "./AlertsPage";

const RUN = "run-0123456789";

const alert = (over: Partial<Alert> & { id: number }): Alert => ({
  kind: "accuracy-drop",
  severity: "warning",
  runId: RUN,
  nodeId: null,
  message: "Test accuracy 61.0% is 22.0 points below the run's best (83.0%)",
  action: "Look at the last rounds' rejected and anomalous updates",
  raisedAt: Date.UTC(2026, 0, 5, 10, 0, 0),
  clearedAt: null,
  acknowledgedAt: null,
  ...over,
});

const ACTIVE = alert({ id: 3, severity: "critical", kind: "update-anomaly", nodeId: "sim-2" });
const ACKED = alert({ id: 2, acknowledgedAt: Date.UTC(2026, 0, 5, 10, 5, 0) });
const CLEARED = alert({
  id: 1,
  kind: "outbox-stuck",
  severity: "info",
  clearedAt: Date.UTC(2026, 0, 5, 10, 9, 0),
});

interface Served {
  calls: { url: string; init?: RequestInit }[];
  /** What GET /api/alerts answers, by its query string. */
  lists: (query: URLSearchParams) => AlertList;
  acknowledge: (id: number, init?: RequestInit) => Response;
}

function serve(over: Partial<Served> = {}): Served {
  const served: Served = {
    calls: [],
    lists: () => ({ alerts: [ACTIVE, ACKED], counts: { active: 2, unacknowledged: 1 } }),
    acknowledge: () => Response.json({ error: { code: "unexpected" } }, { status: 500 }),
    ...over,
  };
  vi.stubGlobal(
    "fetch",
    vi.fn((url: string, init?: RequestInit) => {
      served.calls.push({ url, init });
      const [path = "", query = ""] = url.split("?");
      if (path === "/api/runs")
        return Promise.resolve(
          Response.json([
            { id: RUN, name: "mnist-demo", createdAt: 1 },
            { id: "run-other", name: "cifar", createdAt: 2 },
          ]),
        );
      if (path === "/api/alerts")
        return Promise.resolve(Response.json(served.lists(new URLSearchParams(query))));
      const ack = /^\/api\/alerts\/(\d+)\/acknowledge$/.exec(path);
      if (ack && init?.method === "POST")
        return Promise.resolve(served.acknowledge(Number(ack[1]), init));
      return Promise.resolve(Response.json({ error: { code: "not_found" } }, { status: 404 }));
    }),
  );
  return served;
}

function Routed() {
  return <AlertsPage route={useRoute()} />;
}

function renderPage(hash = "#/alerts") {
  window.location.hash = hash;
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={client}>
      <Routed />
    </QueryClientProvider>,
  );
}

const alertQueries = (s: Served) =>
  s.calls.filter((c) => c.url.startsWith("/api/alerts?")).map((c) => c.url);

beforeEach(() => vi.stubGlobal("EventSource", undefined));
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  window.localStorage.clear();
  window.location.hash = "";
});

describe("AlertsPage", () => {
  it("lists the alerts with severity, kind, times, run, node, message and what to do", async () => {
    const s = serve();
    renderPage();
    const rows = await screen.findAllByTestId("alert-row");
    expect(rows.map((r) => r.getAttribute("data-alert-id"))).toEqual(["3", "2"]);
    expect(alertQueries(s)[0]).toBe("/api/alerts?status=active");
    expect(screen.getByTestId("alerts-counts").textContent).toBe("2 active · 1 not acknowledged");

    const first = within(rows[0]!);
    expect(first.getByText("critical").getAttribute("data-severity")).toBe("critical");
    expect(first.getByText("Anomalous update")).toBeTruthy();
    expect(first.getByText("update-anomaly")).toBeTruthy();
    await waitFor(() =>
      expect(first.getByRole("link", { name: "mnist-demo" }).getAttribute("href")).toBe(
        `#/training?run=${RUN}`,
      ),
    );
    expect(first.getByRole("link", { name: "sim-2" })).toBeTruthy();
    expect(first.getByText(ACTIVE.message)).toBeTruthy();
    expect(first.getByText(ACTIVE.action)).toBeTruthy();
    expect(first.getByRole("button", { name: "Acknowledge" })).toBeTruthy();

    const second = within(rows[1]!);
    expect(second.queryByRole("button")).toBeNull();
    expect(second.getByText(/^acknowledged \d/)).toBeTruthy();
  });

  it("filters by status and by run through the address", async () => {
    const s = serve({
      lists: (q) =>
        q.get("status") === "all"
          ? { alerts: [ACTIVE, ACKED, CLEARED], counts: { active: 2, unacknowledged: 1 } }
          : { alerts: [ACTIVE, ACKED], counts: { active: 2, unacknowledged: 1 } },
    });
    renderPage();
    await screen.findAllByTestId("alert-row");
    fireEvent.change(screen.getByTestId("alerts-status"), { target: { value: "all" } });
    await waitFor(() => expect(screen.getAllByTestId("alert-row")).toHaveLength(3));
    expect(window.location.hash).toBe("#/alerts?status=all");
    const cleared = screen.getAllByTestId("alert-row")[2]!;
    expect(cleared.className).toContain("alert-row-cleared");
    expect(within(cleared).getByText(/^cleared \d/)).toBeTruthy();

    await screen.findByRole("option", { name: "cifar" });
    fireEvent.change(screen.getByTestId("alerts-run"), { target: { value: RUN } });
    await waitFor(() => expect(alertQueries(s)).toContain(`/api/alerts?status=all&run=${RUN}`));
    expect(window.location.hash).toBe(`#/alerts?status=all&run=${RUN}`);
    // The counts are the coordinator's over every run, whatever the filter.
    await waitFor(() =>
      expect(screen.getByTestId("alerts-counts").textContent).toBe(
        "2 active · 1 not acknowledged (all runs)",
      ),
    );
  });

  it("acknowledges an alert with the admin token and shows it acknowledged", async () => {
    writeAdminToken("0123456789abcdef");
    let acked = false;
    const s = serve({
      lists: () => ({
        alerts: [acked ? { ...ACTIVE, acknowledgedAt: Date.now() } : ACTIVE],
        counts: { active: 1, unacknowledged: acked ? 0 : 1 },
      }),
      acknowledge: (id) => {
        acked = true;
        return Response.json({ ...ACTIVE, id, acknowledgedAt: Date.now() });
      },
    });
    renderPage();
    fireEvent.click(await screen.findByTestId("acknowledge-3"));
    await waitFor(() => expect(screen.queryByTestId("acknowledge-3")).toBeNull());
    const post = s.calls.find((c) => c.init?.method === "POST");
    expect(post?.url).toBe("/api/alerts/3/acknowledge");
    expect((post?.init?.headers as Record<string, string>).authorization).toBe(
      "Bearer 0123456789abcdef",
    );
    expect(within(screen.getByTestId("alert-row")).getByText("acknowledged")).toBeTruthy();
    expect(screen.getByTestId("alerts-counts").textContent).toBe("1 active · 0 not acknowledged");
  });

  it("explains a 401: the token is missing, or the one saved was refused", async () => {
    serve({
      acknowledge: () =>
        Response.json(
          { error: { code: "unauthorized", message: "admin token required" } },
          { status: 401 },
        ),
    });
    renderPage();
    fireEvent.click(await screen.findByTestId("acknowledge-3"));
    expect((await screen.findByRole("alert")).textContent).toMatch(
      /Acknowledging needs the coordinator's admin token: paste it under Settings/,
    );
    // The token field is on the page itself.
    expect(screen.getByText("Admin token")).toBeTruthy();

    writeAdminToken("wrong-token-0123456789");
    fireEvent.click(screen.getByTestId("acknowledge-3"));
    await waitFor(() =>
      expect(screen.getByRole("alert").textContent).toMatch(
        /refused the admin token saved in this browser/,
      ),
    );
    expect(screen.getByTestId("acknowledge-3")).toBeTruthy();
  });

  it("says which alerts exist and where their rules are set when there are none", async () => {
    serve({ lists: () => ({ alerts: [], counts: { active: 0, unacknowledged: 0 } }) });
    renderPage("#/alerts?status=unacknowledged");
    expect(await screen.findByText("No alerts waiting for acknowledgement")).toBeTruthy();
    const help = screen.getByTestId("alert-rules-help");
    expect(help.textContent).toContain("alerts in the run request");
    expect(help.textContent).toContain("run.schema.json");
    expect(within(help).getByText("alerts.accuracyDropPoints")).toBeTruthy();
    expect(help.textContent).toContain("more than 10 points below the run's best");
    expect(within(help).getAllByRole("row")).toHaveLength(11);
  });

  it("reports a coordinator that does not answer", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn(() => Promise.reject(new TypeError("Failed to fetch"))),
    );
    renderPage();
    expect(await screen.findByText("Coordinator down")).toBeTruthy();
  });
});

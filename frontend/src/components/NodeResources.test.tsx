import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type {
  NodeSummary,
  RoundRecord,
  UpdateAnomaly,
  UpdateOutcome,
} from "../../../backend/src/domain/index";
import {
  currentResources,
  flaggedCounts,
  roundResourceRows,
  useRoundResources,
} from "../api/node-resource-queries";
import {
  CurrentResourcesTable,
  RoundResourcesTable,
  anomalyTitle,
  formatAgo,
  formatCpu,
  formatMb,
} from "./NodeResources";

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const MB = 1024 * 1024;

function node(id: string, over: Partial<NodeSummary> = {}): NodeSummary {
  return {
    id,
    wallet: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    kind: "remote",
    status: "training",
    registeredAt: 0,
    lastSeen: 1,
    registrationTx: null,
    refusal: null,
    totals: { contributions: 0, rewardWei: "0" },
    ...over,
  };
}

const report = (over: Partial<NonNullable<NodeSummary["resources"]>> = {}) => ({
  cpuPercent: 187.25,
  rssBytes: 412 * MB,
  trainingMs: 4_200,
  uploadBytes: 796_840,
  latencyMs: 3.4,
  reportedAt: 1_000_000,
  runId: "run-abc",
  round: 4,
  ...over,
});

const anomaly = (over: Partial<UpdateAnomaly> = {}): UpdateAnomaly => ({
  norm: 1.234,
  cosine: 0.91,
  normZ: 0.4,
  cosineZ: -0.2,
  flagged: false,
  excluded: false,
  ...over,
});

function update(nodeId: string, over: Partial<UpdateOutcome> = {}): UpdateOutcome {
  return {
    nodeId,
    wallet: "0x0",
    accepted: true,
    samples: 600,
    reportedTrainLoss: 0.3,
    updateHash: "0x01",
    resources: {
      trainingMs: 2_500,
      uploadBytes: 796_840,
      cpuPercent: null,
      rssBytes: null,
      latencyMs: null,
    },
    ...over,
  };
}

function round(n: number, updates: UpdateOutcome[]): RoundRecord {
  return {
    runId: "run-abc",
    round: n,
    status: "recorded",
    startedAt: 0,
    finishedAt: 1,
    durationMs: 1,
    testLoss: 1,
    testAccuracy: 0.5,
    validationLossBefore: 2,
    validationLossAfter: 1,
    participants: updates.map((u) => u.nodeId),
    updates,
    modelHash: null,
    txHash: null,
  };
}

describe("formatting", () => {
  it("shows CPU, memory and ages compactly, and a dash when not reported", () => {
    expect(formatCpu(187.25)).toBe("187 %");
    expect(formatCpu(4.26)).toBe("4.3 %");
    expect(formatCpu(null)).toBe("—");
    expect(formatMb(412 * MB)).toBe("412.0 MB");
    expect(formatMb(null)).toBe("—");
    expect(formatAgo(4_400)).toBe("4 s ago");
    expect(formatAgo(125_000)).toBe("2 min ago");
    expect(formatAgo(-50)).toBe("0 s ago");
  });

  it("states the screening's norm and cosine with their z-scores", () => {
    const t = anomalyTitle(anomaly({ normZ: 5.123, cosineZ: null, flagged: true, excluded: true }));
    expect(t).toContain("norm 1.234 (z 5.12)");
    expect(t).toContain("cosine to the round's mean 0.910 (z n/a (too little history))");
    expect(t).toContain("left out of the aggregate");
  });
});

describe("current agent resources", () => {
  it("keeps only nodes with a report, sorted by id", () => {
    const rows = currentResources([
      node("site-b", { resources: report({ round: 2 }) }),
      node("sim-1", { kind: "simulated" }),
      node("site-a", { resources: report() }),
      node("site-c", { status: "offline" }),
    ]);
    expect(rows.map((r) => r.nodeId)).toEqual(["site-a", "site-b"]);
    expect(rows[1]!.round).toBe(2);
  });

  it("renders CPU, memory, training time, upload, latency and the report's age", () => {
    const rows = currentResources([
      node("site-a", { resources: report() }),
      node("site-b", { resources: report({ uploadBytes: 0, latencyMs: null, cpuPercent: 0.5 }) }),
    ]);
    render(<CurrentResourcesTable rows={rows} now={1_007_000} />);
    const a = within(screen.getByTestId("agent-resources")).getByText("site-a").closest("tr")!;
    expect(a.textContent).toContain("187 %");
    expect(a.textContent).toContain("412.0 MB");
    expect(a.textContent).toContain("4.2 s");
    expect(a.textContent).toContain("778.2 KiB");
    expect(a.textContent).toContain("3 ms");
    expect(a.textContent).toContain("7 s ago");
    expect(a.textContent).toContain("round 4");
    const b = screen.getByText("site-b").closest("tr")!;
    expect(b.textContent).toContain("none yet");
    expect(b.textContent).toContain("0.5 %");
    expect(within(b).getAllByText("—")).toHaveLength(1);
  });
});

describe("per-round resources and anomaly flags", () => {
  const rounds = [
    round(1, [update("n-2"), update("n-1", { anomaly: anomaly() })]),
    round(2, [
      update("n-1", {
        anomaly: anomaly({ flagged: true, normZ: 6.5 }),
        resources: {
          trainingMs: 3_100,
          uploadBytes: 796_840,
          cpuPercent: 143,
          rssBytes: 300 * MB,
          latencyMs: 12,
        },
      }),
      update("n-2", { accepted: false, reason: "bad signature", resources: undefined }),
    ]),
  ];

  it("lists every update, latest round first, with its resources and anomaly", () => {
    const rows = roundResourceRows(rounds);
    expect(rows.map((r) => `${r.round}/${r.nodeId}`)).toEqual(["2/n-1", "2/n-2", "1/n-1", "1/n-2"]);
    expect(rows[1]!.resources).toBeNull();
    expect(rows[1]!.reason).toBe("bad signature");
    expect(rows[3]!.anomaly).toBeNull();
    expect([...flaggedCounts(rows)]).toEqual([["n-1", 1]]);
  });

  it("marks flagged nodes with their z-scores in a title, and a summary above the table", () => {
    render(<RoundResourcesTable rows={roundResourceRows(rounds)} />);
    expect(screen.getByTestId("flagged-nodes").textContent).toContain("n-1 (1 round)");
    const table = screen.getByTestId("round-resources");
    const flaggedRow = table.querySelector('tr[data-round="2"][data-node="n-1"]')!;
    expect(flaggedRow.className).toBe("anomalous");
    const flag = within(flaggedRow as HTMLElement).getByTestId("anomaly-flag");
    expect(flag.textContent).toBe("flagged");
    expect(flag.getAttribute("title")).toContain("z 6.50");
    expect(flaggedRow.textContent).toContain("143 %");
    expect(flaggedRow.textContent).toContain("300.0 MB");
    expect(flaggedRow.textContent).toContain("12 ms");
    const calm = table.querySelector('tr[data-round="1"][data-node="n-1"]')!;
    expect(calm.className).toBe("");
    expect(
      within(calm as HTMLElement)
        .getByText("ok")
        .getAttribute("title"),
    ).toContain("z 0.40");
    // A simulated node: time and bytes as the coordinator saw them, no CPU/memory/latency.
    const sim = table.querySelector('tr[data-round="1"][data-node="n-2"]')!;
    expect(sim.textContent).toContain("2.5 s");
    expect(sim.textContent).toContain("778.2 KiB");
    expect(table.querySelector('tr[data-round="2"][data-node="n-2"]')!.textContent).toContain(
      "bad signature",
    );
  });

  it("shows the latest five rounds first and the rest on request", () => {
    const many = Array.from({ length: 7 }, (_, i) => round(i + 1, [update("n-1")]));
    render(<RoundResourcesTable rows={roundResourceRows(many)} />);
    const rows = () => screen.getByTestId("round-resources").querySelectorAll("tbody tr");
    expect(rows()).toHaveLength(5);
    expect(screen.queryByTestId("flagged-nodes")).toBeNull();
    fireEvent.click(screen.getByText("Show all 7 rounds"));
    expect(rows()).toHaveLength(7);
  });

  it("reads a run's rounds from the coordinator", async () => {
    const fetchFn = vi.fn(async (url: string) => {
      expect(url).toContain("/runs/run-abc/rounds");
      return new Response(JSON.stringify(rounds), {
        status: 200,
        headers: { "content-type": "application/json" },
      });
    });
    vi.stubGlobal("fetch", fetchFn);
    function Probe() {
      const q = useRoundResources("run-abc");
      return <span data-testid="probe">{q.data?.map((r) => r.nodeId).join(",") ?? "…"}</span>;
    }
    const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    render(
      <QueryClientProvider client={client}>
        <Probe />
      </QueryClientProvider>,
    );
    await waitFor(() => expect(screen.getByTestId("probe").textContent).toBe("n-1,n-2,n-1,n-2"));
    client.clear();
  });
});

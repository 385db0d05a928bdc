import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import type { Health } from "../api/client";
import { coordinatorProcess, type CoordinatorProcess } from "../api/node-resource-queries";
import { CoordinatorResources } from "./CoordinatorResources";

afterEach(cleanup);

const MB = 1024 * 1024;

const usage = (over: Partial<CoordinatorProcess> = {}): CoordinatorProcess => ({
  cpuPercent: 123.4,
  eventLoopLagMs: { mean: 11.2, p99: 24.5, max: 40.1 },
  windowMs: 3_000,
  rssBytes: 812 * MB,
  heapUsedBytes: 150 * MB,
  heapTotalBytes: 200 * MB,
  uptimeSeconds: 3_725,
  trainingWorkers: { alive: 2, busy: 1 },
  ...over,
});

const health = (extra: Record<string, unknown>): Health =>
  ({
    status: "ok",
    uptimeSeconds: 10,
    chain: { reachable: true, rpcUrl: "http://127.0.0.1:8545" },
    store: { ok: true, dialect: "sqlite", location: "x" },
    engine: {},
    ...extra,
  }) as Health;

describe("CoordinatorResources", () => {
  it("shows CPU over the window, memory, event-loop lag, workers and uptime", () => {
    render(<CoordinatorResources usage={usage()} />);
    expect(screen.getByTestId("coordinator-cpu").textContent).toBe("123 % over the last 3.0 s");
    expect(screen.getByTestId("coordinator-memory").textContent).toBe(
      "812.0 MB (heap 150.0 MB of 200.0 MB)",
    );
    const lag = screen.getByTestId("coordinator-lag");
    expect(lag.textContent).toBe("p99 24.5 ms (mean 11.2, max 40.1)");
    expect(lag.className).toBe("");
    expect(screen.getByTestId("coordinator-workers").textContent).toBe("1 of 2 busy");
    expect(screen.getByText("1 h 2 min")).toBeTruthy();
  });

  it("marks a lagging event loop", () => {
    render(
      <CoordinatorResources usage={usage({ eventLoopLagMs: { mean: 60, p99: 180, max: 400 } })} />,
    );
    expect(screen.getByTestId("coordinator-lag").className).toBe("bad");
  });

  it("says so when the coordinator does not report its process, or is being asked", () => {
    render(<CoordinatorResources usage={undefined} />);
    expect(screen.getByText("The coordinator does not report its resources.")).toBeTruthy();
    cleanup();
    render(<CoordinatorResources usage={undefined} pending />);
    expect(screen.getByText("Asking the coordinator…")).toBeTruthy();
  });

  it("reads the process figures from a health report", () => {
    expect(coordinatorProcess(health({ process: usage() }))?.rssBytes).toBe(812 * MB);
    expect(coordinatorProcess(health({}))).toBeUndefined();
    expect(coordinatorProcess(health({ process: { cpuPercent: "x" } }))).toBeUndefined();
    expect(coordinatorProcess(undefined)).toBeUndefined();
  });
});

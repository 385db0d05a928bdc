import { cleanup, render, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import {
  CreateRunRequest,
  type RoundRecord,
  type RunSummary,
} from "../../../backend/src/domain/index";
import { requestFromPreset } from "../../../backend/src/domain/index";
import { RunPrivacy, formatDelta, formatEpsilon } from "./RunPrivacy";

afterEach(cleanup);

function summary(preset: string, privacy: RunSummary["privacy"]): RunSummary {
  return {
    id: "run-1",
    name: preset,
    status: "running",
    config: CreateRunRequest.parse(requestFromPreset(preset)),
    completedRounds: 2,
    totalRounds: 30,
    engine: "wasm",
    error: null,
    chainRunId: null,
    queuePosition: null,
    createdAt: 0,
    updatedAt: 0,
    latest: null,
    privacy,
    chainWrites: { pending: 0, failed: 0, lastError: null },
  };
}

function round(n: number, extra: Partial<RoundRecord>): RoundRecord {
  return {
    runId: "run-1",
    round: n,
    status: "recorded",
    startedAt: 0,
    finishedAt: 1,
    durationMs: 1,
    testLoss: 1,
    testAccuracy: 0.5,
    validationLossBefore: 2,
    validationLossAfter: 1,
    participants: [],
    updates: [],
    modelHash: null,
    txHash: null,
    ...extra,
  };
}

const roundPrivacy = (epsilon: number | null, coordinatorEpsilon: number | null) => ({
  clipNorm: 1,
  noiseMultiplier: 0.1,
  aggregateNoiseMultiplier: 0.316,
  unclippedFraction: 0.8,
  epsilon,
  coordinatorEpsilon,
});

describe("formatEpsilon", () => {
  it("writes null (no finite bound) honestly and rounds the rest", () => {
    expect(formatEpsilon(null)).toBe("∞ (no noise)");
    expect(formatEpsilon(61.8234)).toBe("61.8");
    expect(formatEpsilon(0.7812)).toBe("0.781");
    expect(formatEpsilon(undefined)).toBe("—");
    expect(formatDelta(1e-5)).toBe("1e−5");
  });
});

describe("RunPrivacy", () => {
  it("shows model and coordinator epsilon at delta, clip norm, noise and rounds accounted", () => {
    const run = summary("dp-fedavg", {
      rounds: 2,
      delta: 1e-5,
      epsilon: 3.21,
      coordinatorEpsilon: 45.6,
      clipNorm: 1,
      noiseMultiplier: 0.1,
    });
    const rounds = [
      round(1, { aggregation: "plain", privacy: roundPrivacy(2.5, 30) }),
      round(2, { aggregation: "plain", privacy: roundPrivacy(3.21, 45.6) }),
    ];
    render(<RunPrivacy run={run} rounds={rounds} />);
    expect(screen.getByTestId("privacy-epsilon").textContent).toBe("3.21");
    expect(screen.getByTestId("privacy-coordinator-epsilon").textContent).toBe("45.6");
    expect(screen.getByTestId("privacy-rounds").textContent).toBe("2");
    expect(screen.getByTestId("privacy-clip-norm").textContent).toBe("1");
    expect(screen.getByTestId("privacy-noise").textContent).toBe("0.1");
    expect(screen.getByText("Model ε at δ = 1e−5")).toBeTruthy();
    expect(screen.getByTestId("run-aggregation").textContent).toMatch(/^plain/);

    const rows = within(screen.getByTestId("privacy-rounds-table"))
      .getAllByRole("row")
      .slice(1)
      .map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent));
    expect(rows).toEqual([
      ["2", "plain", "3.21", "45.6", "1", "80.0%", "0.316"],
      ["1", "plain", "2.5", "30", "1", "80.0%", "0.316"],
    ]);
    expect(screen.getAllByRole("figure", { name: "Privacy budget ε" })).toHaveLength(1);
  });

  it("shows epsilon against the run's privacy budget when it has one", () => {
    const run = summary("dp-fedavg", {
      rounds: 2,
      delta: 1e-5,
      epsilon: 3.21,
      coordinatorEpsilon: 45.6,
      clipNorm: 1,
      noiseMultiplier: 0.1,
    });
    run.config = { ...run.config, privacy: { ...run.config.privacy!, maxEpsilon: 8 } };
    render(<RunPrivacy run={run} rounds={[]} />);
    expect(screen.getByTestId("privacy-epsilon").textContent).toBe("3.21 of 8");
    expect(screen.getByText(/the run ends before a round that would pass the budget/)).toBeTruthy();
  });

  it("reads ∞ when the noise multiplier is 0, and waits for the first round", () => {
    const clipOnly = summary("dp-fedavg", {
      rounds: 1,
      delta: 1e-5,
      epsilon: null,
      coordinatorEpsilon: null,
      clipNorm: 1,
      noiseMultiplier: 0,
    });
    render(
      <RunPrivacy run={clipOnly} rounds={[round(1, { privacy: roundPrivacy(null, null) })]} />,
    );
    expect(screen.getByTestId("privacy-epsilon").textContent).toBe("∞ (no noise)");
    expect(screen.getByTestId("privacy-coordinator-epsilon").textContent).toBe("∞ (no noise)");
    cleanup();

    render(<RunPrivacy run={summary("dp-fedavg", null)} rounds={[]} />);
    expect(screen.getByTestId("privacy-pending")).toBeTruthy();
    expect(screen.queryByTestId("privacy-epsilon")).toBeNull();
  });

  it("shows secure aggregation per run and per round, without DP columns", () => {
    const run = summary("secure-aggregation", null);
    render(
      <RunPrivacy
        run={run}
        rounds={[round(1, { aggregation: "secure" }), round(2, { status: "training" })]}
      />,
    );
    expect(screen.getByTestId("run-aggregation").textContent).toMatch(
      /^secure \(SecAgg, all pairs, clip range 1\)/,
    );
    expect(screen.getByTestId("run-dp").textContent).toMatch(/^off/);
    const table = screen.getByTestId("privacy-rounds-table");
    expect(
      within(table)
        .getAllByRole("columnheader")
        .map((h) => h.textContent),
    ).toEqual(["Round", "Aggregation"]);
    expect(within(table).getAllByRole("row")).toHaveLength(2);
    expect(screen.queryByRole("figure")).toBeNull();
  });

  it("for a plain run without DP shows only the mode", () => {
    render(<RunPrivacy run={summary("quick-demo", null)} rounds={[round(1, {})]} />);
    expect(screen.getByTestId("run-aggregation").textContent).toMatch(/^plain/);
    expect(screen.queryByTestId("privacy-rounds-table")).toBeNull();
  });
});

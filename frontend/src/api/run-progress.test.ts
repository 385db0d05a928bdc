import { describe, expect, it } from "vitest";
import type { RunEvent } from "../../../backend/src/domain/index";
import { MAX_LOG_LINES, foldRunEvents, initialRunProgress, roundFraction } from "./run-progress";

const runId = "run-0123456789";

const roundOne: RunEvent[] = [
  { type: "run-status", runId, status: "running" },
  { type: "round-started", runId, round: 1, participants: ["sim-1", "sim-2"] },
  {
    type: "node-progress",
    runId,
    round: 1,
    nodeId: "sim-1",
    epoch: 0,
    batch: 5,
    batches: 10,
    loss: 1.2,
  },
  {
    type: "node-progress",
    runId,
    round: 1,
    nodeId: "sim-1",
    epoch: 1,
    batch: 5,
    batches: 10,
    loss: 0.9,
  },
];

describe("foldRunEvents", () => {
  it("tracks the round and each node's progress over all local epochs", () => {
    const s = foldRunEvents(initialRunProgress(runId, 2), roundOne);
    expect(s.status).toBe("running");
    expect(s.currentRound).toBe(1);
    expect(s.participants).toEqual(["sim-1", "sim-2"]);
    expect(s.nodes["sim-1"]).toMatchObject({ state: "training", fraction: 0.75, loss: 0.9 });
    expect(s.nodes["sim-2"]).toMatchObject({ state: "waiting", fraction: 0 });
    expect(roundFraction(s)).toBe(0);
  });

  it("marks nodes accepted or rejected and completes the round progress", () => {
    const s = foldRunEvents(initialRunProgress(runId, 2), [
      ...roundOne,
      { type: "node-finished", runId, round: 1, nodeId: "sim-1", accepted: true },
      {
        type: "node-finished",
        runId,
        round: 1,
        nodeId: "sim-2",
        accepted: false,
        reason: "not finite",
      },
      // A late progress event does not reopen a judged update.
      {
        type: "node-progress",
        runId,
        round: 1,
        nodeId: "sim-1",
        epoch: 1,
        batch: 6,
        batches: 10,
        loss: 0.8,
      },
    ]);
    expect(s.nodes["sim-1"]).toMatchObject({ state: "accepted", fraction: 1 });
    expect(s.nodes["sim-2"]).toMatchObject({ state: "rejected", reason: "not finite" });
    expect(roundFraction(s)).toBe(1);
    expect(s.log.some((l) => l.level === "warn" && l.message.includes("sim-2"))).toBe(true);
  });

  it("collects aggregated rounds in order and attaches their on-chain record", () => {
    const s = foldRunEvents(initialRunProgress(runId), [
      {
        type: "round-aggregated",
        runId,
        round: 2,
        testLoss: 0.5,
        testAccuracy: 0.8,
        accepted: 2,
        rejected: 0,
        modelHash: "0x02",
        durationMs: 900,
      },
      {
        type: "round-aggregated",
        runId,
        round: 1,
        testLoss: 0.9,
        testAccuracy: 0.6,
        accepted: 2,
        rejected: 0,
        modelHash: "0x01",
        durationMs: 1000,
      },
      { type: "contribution-recorded", runId, round: 1, txHash: "0xabc", totalRewardWei: "100" },
      // Replayed after a reconnect: replaces, never duplicates.
      {
        type: "round-aggregated",
        runId,
        round: 1,
        testLoss: 0.9,
        testAccuracy: 0.6,
        accepted: 2,
        rejected: 0,
        modelHash: "0x01",
        durationMs: 1000,
      },
    ]);
    expect(s.rounds.map((r) => r.round)).toEqual([1, 2]);
    expect(s.rounds[0]).toMatchObject({
      txHash: "0xabc",
      totalRewardWei: "100",
      testAccuracy: 0.6,
    });
  });

  it("ignores events of other runs and progress of other rounds", () => {
    const s0 = foldRunEvents(initialRunProgress(runId), roundOne);
    const s1 = foldRunEvents(s0, [
      { type: "log", runId: "run-ffffffffff", level: "info", message: "elsewhere" },
      {
        type: "node-progress",
        runId,
        round: 7,
        nodeId: "sim-2",
        epoch: 0,
        batch: 1,
        batches: 2,
        loss: 1,
      },
    ]);
    expect(s1).toBe(s0);
  });

  it("records failures and keeps the log bounded", () => {
    const logs: RunEvent[] = Array.from({ length: MAX_LOG_LINES + 20 }, (_, i) => ({
      type: "log",
      runId,
      level: "info",
      message: `line ${i}`,
    }));
    const s = foldRunEvents(initialRunProgress(runId), [
      ...logs,
      { type: "run-status", runId, status: "failed", error: "engine crashed" },
    ]);
    expect(s.status).toBe("failed");
    expect(s.error).toBe("engine crashed");
    expect(s.log).toHaveLength(MAX_LOG_LINES);
    expect(s.log.at(-1)).toMatchObject({ level: "error" });
    expect(s.log.at(-1)?.message).toContain("engine crashed");
  });
});

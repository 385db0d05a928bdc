// Resource reports: remote agents (separate processes) send their CPU, memory, training time,
// upload size and latency with each progress message; the coordinator shows the latest per online
// agent on GET /api/nodes, passes them on in node-progress events, records what each update cost
// in the round records, and reports its own process on GET /api/health.
import { expect } from "chai";
import { privateKeyToAccount } from "viem/accounts";
import type {
  CreateRunRequest,
  NodeSummary,
  RoundRecord,
  RunEvent,
  RunSummary,
} from "../../backend/src/domain/index.js";
import { parameterCount } from "../../backend/src/engine/models/spec.js";
import { TaskMeter } from "../../backend/src/agent/resource-meter.js";
import { signAgentRequest } from "../../backend/src/nodes/agent-protocol.js";
import type { CoordinatorProcess } from "../../backend/src/api/api-schemas.js";
import { finishedRun, useAgentStack } from "../helpers/coordinator-stack.js";
import { api } from "../helpers/http.js";
import { HARDHAT_DEV_KEYS } from "../helpers/processes.js";

const MB = 1024 * 1024;

const run: CreateRunRequest = {
  dataset: "synthetic",
  model: "2nn",
  partition: { kind: "iid" },
  nodeSource: "remote",
  numNodes: 2,
  fraction: 1,
  rounds: 3,
  localEpochs: 3,
  batchSize: 20,
  learningRate: 0.05,
  strategy: { name: "fedavg" },
  roundTimeoutMs: 60_000,
  seed: 11,
};

type Progress = Extract<RunEvent, { type: "node-progress" }>;

describe("node resource reports (remote agents as separate processes)", function () {
  this.timeout(600_000);
  const ids = ["res-a", "res-b"];
  const keys = [HARDHAT_DEV_KEYS[5]!, HARDHAT_DEV_KEYS[6]!];
  const slices = ["synthetic:0-900", "synthetic:900-1800"];
  const stack = useAgentStack({ dataDirPrefix: "fl-resources-", workers: 1, ids, keys, slices });
  const bytes = 4 * parameterCount("2nn");

  it("agents report resources with their progress; the API, events and round records carry them", async () => {
    const created = await api<RunSummary>(stack.server.url, "POST", "/api/runs", run);
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    const id = created.body.id;
    const progress: Progress[] = [];
    const off = stack.coord.events.subscribe(id, (e) => {
      if (e.type === "node-progress") progress.push(e);
    });
    let rounds: RoundRecord[];
    try {
      ({ rounds } = await finishedRun(stack.server.url, id));
    } finally {
      off();
    }

    // Every agent reported in every round, and the coordinator passed the reports on.
    for (const nodeId of ids) {
      for (const round of [1, 2, 3]) {
        const mine = progress.filter((p) => p.nodeId === nodeId && p.round === round);
        expect(mine.length, `${nodeId} round ${round}`).to.be.greaterThan(0);
        const last = mine.at(-1)!.resources!;
        expect(last, `${nodeId} round ${round}`).to.not.equal(undefined);
        expect(last.cpuPercent).to.be.greaterThan(0);
        expect(last.rssBytes).to.be.greaterThan(10 * MB);
        expect(last.trainingMs).to.be.greaterThan(0);
        // Its previous upload: none before its first update, then one model's float32 bytes.
        expect(last.uploadBytes).to.equal(round === 1 ? 0 : bytes);
        // Its latest round trip (the weights' download at the latest) was measured.
        expect(last.latencyMs).to.be.a("number").and.to.be.at.least(0);
      }
    }

    // Each round record says what each update cost: time to arrival, bytes, the agent's report.
    for (const r of rounds) {
      expect(r.updates).to.have.length(2);
      for (const u of r.updates) {
        expect(u.accepted).to.equal(true);
        const res = u.resources!;
        expect(res, `${u.nodeId} round ${r.round}`).to.not.equal(undefined);
        expect(res.uploadBytes).to.equal(bytes);
        expect(res.trainingMs).to.be.greaterThan(0);
        expect(res.cpuPercent).to.be.a("number").and.greaterThan(0);
        expect(res.rssBytes)
          .to.be.a("number")
          .and.greaterThan(10 * MB);
        expect(res.latencyMs).to.be.a("number").and.at.least(0);
        // The coordinator's time to arrival includes the agent's training time it last reported.
        const reported = progress.filter((p) => p.nodeId === u.nodeId && p.round === r.round);
        expect(res.trainingMs).to.be.at.least(reported.at(-1)!.resources!.trainingMs - 50);
      }
    }

    // The agents are still online (polling): GET /api/nodes shows each one's latest report.
    const nodes = await api<NodeSummary[]>(stack.server.url, "GET", "/api/nodes");
    expect(nodes.status).to.equal(200);
    for (const nodeId of ids) {
      const n = nodes.body.find((x) => x.id === nodeId)!;
      const r = n.resources!;
      expect(r, nodeId).to.not.equal(undefined);
      expect(r.runId).to.equal(id);
      expect(r.round).to.equal(3);
      expect(r.cpuPercent).to.be.greaterThan(0);
      expect(r.rssBytes).to.be.greaterThan(10 * MB);
      expect(r.trainingMs).to.be.greaterThan(0);
      expect(r.uploadBytes).to.equal(bytes);
      expect(r.latencyMs).to.be.a("number");
      expect(Date.now() - r.reportedAt).to.be.within(0, 120_000);
    }
    // Simulated nodes and offline agents carry none.
    expect(nodes.body.filter((n) => n.kind !== "remote" && n.resources)).to.have.length(0);
    expect(stack.coord.hub.resources().size).to.equal(2);
  });

  it("simulated nodes' updates carry the coordinator's view: time to arrival and bytes", async () => {
    const created = await api<RunSummary>(stack.server.url, "POST", "/api/runs", {
      ...run,
      nodeSource: "simulated",
      numNodes: 3,
      rounds: 1,
      localEpochs: 1,
    });
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    const { rounds } = await finishedRun(stack.server.url, created.body.id);
    expect(rounds[0]!.updates).to.have.length(3);
    for (const u of rounds[0]!.updates) {
      expect(u.resources).to.deep.include({
        uploadBytes: bytes,
        cpuPercent: null,
        rssBytes: null,
        latencyMs: null,
      });
      expect(u.resources!.trainingMs).to.be.greaterThan(0);
    }
  });

  it("an agent's meter: process CPU over the task's wall time, memory, time, upload, latency", () => {
    let now = 1_000;
    let cpuUs = 0;
    const meter = new TaskMeter({
      now: () => now,
      cpuUsage: (prev) => ({ user: cpuUs - (prev?.user ?? 0), system: 0 }),
      rss: () => 123 * MB,
    });
    now += 2_000;
    cpuUs += 3_000_000; // 3 s of CPU in 2 s: one and a half cores
    expect(meter.report(0, null)).to.deep.equal({
      cpuPercent: 150,
      rssBytes: 123 * MB,
      trainingMs: 2_000,
      uploadBytes: 0,
      latencyMs: null,
    });
    expect(meter.report(bytes, 4.567).latencyMs).to.equal(4.57);
  });

  it("refuses a progress message whose resources are negative, mistyped or carry extra fields", async () => {
    const owner = privateKeyToAccount(keys[0]!);
    const path = "/api/agent/tasks/task-0000000000000000/progress";
    const good = {
      cpuPercent: 55.5,
      rssBytes: 200 * MB,
      trainingMs: 1200,
      uploadBytes: 0,
      latencyMs: 3.2,
    };
    const send = async (resources: unknown) => {
      const body = JSON.stringify({ epoch: 0, batch: 1, batches: 10, loss: 2.3, resources });
      const headers = await signAgentRequest(owner, ids[0]!, "POST", path, body);
      return api<{ error: { code: string; message: string } }>(
        stack.server.url,
        "POST",
        path,
        body,
        headers,
      );
    };
    const bad: [string, unknown][] = [
      ["negative cpu", { ...good, cpuPercent: -1 }],
      ["negative latency", { ...good, latencyMs: -0.5 }],
      ["fractional rss", { ...good, rssBytes: 1.5 }],
      ["rss as text", { ...good, rssBytes: "209715200" }],
      ["latency missing", { ...good, latencyMs: undefined }],
      ["extra field", { ...good, gpuPercent: 12 }],
      ["not an object", 42],
    ];
    for (const [what, resources] of bad) {
      const res = await send(resources);
      expect(res.status, what).to.equal(400);
      expect(res.body.error.code, what).to.equal("invalid_request");
    }
    // A well-formed report passes validation (the task itself is unknown: 409).
    const ok = await send(good);
    expect(ok.status).to.equal(409);
    expect(ok.body.error.code).to.equal("task_closed");
    const noLatency = await send({ ...good, latencyMs: null });
    expect(noLatency.status).to.equal(409);
  });

  it("GET /api/health reports the coordinator's own process", async () => {
    const first = await api<{ process: CoordinatorProcess }>(
      stack.server.url,
      "GET",
      "/api/health",
    );
    expect(first.status).to.equal(200);
    await new Promise((r) => setTimeout(r, 1_100));
    const { body } = await api<{ process: CoordinatorProcess }>(
      stack.server.url,
      "GET",
      "/api/health",
    );
    const p = body.process;
    expect(p.windowMs).to.be.at.least(1_000);
    expect(p.cpuPercent).to.be.at.least(0);
    expect(p.rssBytes).to.be.greaterThan(10 * MB);
    expect(p.heapUsedBytes).to.be.greaterThan(MB);
    expect(p.heapTotalBytes).to.be.at.least(p.heapUsedBytes);
    expect(p.eventLoopLagMs.mean).to.be.at.least(0);
    expect(p.eventLoopLagMs.max).to.be.at.least(p.eventLoopLagMs.p99);
    expect(p.uptimeSeconds).to.be.greaterThan(0);
    expect(p.trainingWorkers.busy).to.be.within(0, p.trainingWorkers.alive);
  });
});

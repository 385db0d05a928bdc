// A stop sticks (issue 13): a run stopped right after it is created, mid-round or while paused
// stays stopped, also when the coordinator is killed (SIGKILL) and started again; and runs beyond
// the coordinator's capacity are queued or refused, never silently admitted.
import { expect } from "chai";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { CreateRunRequest, RoundRecord, RunSummary } from "../../backend/src/domain/index.js";
import { api } from "../helpers/http.js";
import { freePort, startLocalChain, type LocalChain } from "../helpers/local-chain.js";
import { root, startProcess, type Child } from "../helpers/processes.js";
import { until } from "../helpers/until.js";

const slowRun: CreateRunRequest = {
  dataset: "synthetic",
  model: "2nn",
  partition: { kind: "iid" },
  numNodes: 3,
  fraction: 1,
  rounds: 40,
  localEpochs: 8,
  batchSize: 20,
  learningRate: 0.05,
  strategy: { name: "fedavg" },
};

describe("run lifecycle: stops that stick, capacity", function () {
  this.timeout(300_000);
  let chain: LocalChain;
  let coordinator: Child | undefined;
  let url: string;
  let env: Record<string, string>;
  const main = path.join(root, "backend", "src", "main.ts");

  const status = async (id: string) => (await api<RunSummary>(url, "GET", `/api/runs/${id}`)).body;
  const rounds = async (id: string) =>
    (await api<RoundRecord[]>(url, "GET", `/api/runs/${id}/rounds`)).body;
  async function restart(signal: NodeJS.Signals = "SIGKILL") {
    await coordinator?.kill(signal);
    coordinator = startProcess("coordinator", [main], env);
    await coordinator.waitFor(/listening on/);
  }

  before(async () => {
    chain = await startLocalChain();
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    env = {
      CHAIN_RPC_URL: chain.rpcUrl,
      DEPLOYMENT_FILE: chain.deploymentFile,
      DATA_DIR: mkdtempSync(path.join(tmpdir(), "fl-lifecycle-")),
      COORDINATOR_PORT: String(port),
      TRAINING_WORKERS: "1",
      MAX_CONCURRENT_RUNS: "1",
      MAX_QUEUED_RUNS: "2",
    };
    coordinator = startProcess("coordinator", [main], env);
    await coordinator.waitFor(/listening on/);
  });

  after(async () => {
    await coordinator?.kill("SIGKILL");
    await chain?.stop();
  });

  it("stops right after create, mid-round and while paused, and each stays stopped after SIGKILL", async () => {
    // Right after create: before, the loop read "pending" at launch and set "running" over the stop.
    const a = (await api<RunSummary>(url, "POST", "/api/runs", slowRun)).body;
    expect((await api(url, "POST", `/api/runs/${a.id}/stop`)).status).to.equal(200);
    // Mid-round: stopped while its round 1 trains.
    const b = (await api<RunSummary>(url, "POST", "/api/runs", slowRun)).body;
    await until("b's round 1 to train", async () =>
      (await rounds(b.id)).some((r) => r.round === 1 && r.status === "training"),
    );
    expect((await api(url, "POST", `/api/runs/${b.id}/stop`)).status).to.equal(200);
    // Paused, then stopped.
    const c = (await api<RunSummary>(url, "POST", "/api/runs", slowRun)).body;
    await until("c to be running", async () => (await status(c.id)).status === "running");
    expect((await api(url, "POST", `/api/runs/${c.id}/pause`)).status).to.equal(200);
    expect((await api(url, "POST", `/api/runs/${c.id}/stop`)).status).to.equal(200);
    await new Promise((r) => setTimeout(r, 2_000));
    const before = await Promise.all([a, b, c].map((r) => status(r.id)));
    expect(before.map((r) => r.status)).to.deep.equal(["stopped", "stopped", "stopped"]);
    await restart("SIGKILL");
    await new Promise((r) => setTimeout(r, 6_000));
    const after = await Promise.all([a, b, c].map((r) => status(r.id)));
    expect(after.map((r) => r.status)).to.deep.equal(["stopped", "stopped", "stopped"]);
    // Nothing trained after the stop: at most the round in flight was finished and recorded.
    for (const [i, r] of after.entries()) {
      expect(r.completedRounds, r.id).to.be.at.most(before[i]!.completedRounds + 1);
    }
    expect((await api(url, "POST", `/api/runs/${a.id}/resume`)).status).to.equal(409);
  });

  it("queues runs beyond MAX_CONCURRENT_RUNS in order, refuses past the queue and past the limits", async () => {
    const first = (await api<RunSummary>(url, "POST", "/api/runs", slowRun)).body;
    const second = (await api<RunSummary>(url, "POST", "/api/runs", slowRun)).body;
    const third = (await api<RunSummary>(url, "POST", "/api/runs", slowRun)).body;
    expect(second.status).to.equal("queued");
    expect([second.queuePosition, third.queuePosition]).to.deep.equal([1, 2]);
    const full = await api<{ error: { code: string } }>(url, "POST", "/api/runs", slowRun);
    expect(full.status).to.equal(429);
    expect(full.body.error.code).to.equal("queue_full");
    // The schema's largest run (1,000 nodes x 10,000 rounds of the CNN on all of MNIST).
    const huge = await api<{ error: { code: string; message: string } }>(url, "POST", "/api/runs", {
      ...slowRun,
      dataset: "mnist",
      model: "cnn",
      numNodes: 1000,
      rounds: 10_000,
      localEpochs: 100,
    });
    expect(huge.status).to.equal(422);
    expect(huge.body.error.code).to.equal("run_too_large");
    expect(huge.body.error.message).to.match(/worker-hours > MAX_RUN_CPU_HOURS/);
    // Stopping the running one starts the next in the queue, in order.
    await until("the first to run", async () => (await status(first.id)).status === "running");
    await api(url, "POST", `/api/runs/${first.id}/stop`);
    await until("the second to start", async () =>
      ["pending", "running"].includes((await status(second.id)).status),
    );
    expect((await status(third.id)).queuePosition).to.equal(1);
    for (const r of [second, third]) await api(url, "POST", `/api/runs/${r.id}/stop`);
  });
});

// Remote node agents as separate processes on loopback (`npm run node`), against a coordinator
// on a real chain: registration, signed polling, local training, signed updates, rewards.
import { expect } from "chai";
import { privateKeyToAccount } from "viem/accounts";
import type {
  ContributionRecord,
  CreateRunRequest,
  RunSummary,
} from "../../backend/src/domain/index.js";
import { signAgentRequest } from "../../backend/src/nodes/agent-protocol.js";
import { finishedRun, runAudit, useAgentStack } from "../helpers/coordinator-stack.js";
import { api } from "../helpers/http.js";
import { HARDHAT_DEV_KEYS } from "../helpers/processes.js";

const remoteRun: CreateRunRequest = {
  dataset: "synthetic",
  model: "2nn",
  partition: { kind: "iid" },
  nodeSource: "remote",
  numNodes: 3,
  fraction: 1,
  rounds: 3,
  localEpochs: 2,
  batchSize: 20,
  learningRate: 0.05,
  strategy: { name: "fedavg" },
  roundTimeoutMs: 60_000,
  seed: 5,
};

describe("remote node agents (separate processes)", function () {
  this.timeout(600_000);
  const ids = ["agent-a", "agent-b", "agent-c"];
  const keys = [HARDHAT_DEV_KEYS[5]!, HARDHAT_DEV_KEYS[6]!, HARDHAT_DEV_KEYS[7]!];
  const slices = ["synthetic:0-600", "synthetic:600-1200", "synthetic:1200-1800"];

  const stack = useAgentStack({ dataDirPrefix: "fl-remote-", workers: 1, ids, keys, slices });

  const finished = (id: string) => finishedRun(stack.server.url, id);

  it("agents register with their wallets, train on their own data, and earn on chain", async () => {
    const nodes = await api<{ id: string; kind: string; wallet: string }[]>(
      stack.server.url,
      "GET",
      "/api/nodes",
    );
    for (let i = 0; i < 3; i++) {
      const n = nodes.body.find((x) => x.id === ids[i]);
      expect(n?.kind).to.equal("remote");
      expect(n?.wallet.toLowerCase()).to.equal(privateKeyToAccount(keys[i]!).address.toLowerCase());
    }
    const created = await api<RunSummary>(stack.server.url, "POST", "/api/runs", remoteRun);
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    const { run, rounds } = await finished(created.body.id);
    expect(rounds).to.have.length(3);
    for (const r of rounds) {
      expect([...r.participants].sort()).to.deep.equal(ids);
      expect(r.updates.every((u) => u.accepted)).to.equal(true);
    }
    expect(rounds[2]!.testAccuracy!).to.be.greaterThan(rounds[0]!.testAccuracy!);
    // The run's node view comes from what the agents announced: sizes and label counts only.
    const runNodes = await api<{ nodeId: string; samples: number; histogram: number[] }[]>(
      stack.server.url,
      "GET",
      `/api/runs/${run.id}/nodes`,
    );
    expect(runNodes.body.map((n) => n.samples)).to.deep.equal([600, 600, 600]);
    expect(runNodes.body[0]!.histogram.reduce((a, b) => a + b, 0)).to.equal(600);

    const contributions = await api<ContributionRecord[]>(
      stack.server.url,
      "GET",
      `/api/contributions?run=${run.id}`,
    );
    expect(contributions.body).to.have.length(9);
    const walletA = privateKeyToAccount(keys[0]!).address;
    const rewards = await api<{ recordedWei: string }>(
      stack.server.url,
      "GET",
      `/api/rewards/${walletA}`,
    );
    const earnedA = contributions.body
      .filter((c) => c.nodeId === "agent-a")
      .reduce((s, c) => s + BigInt(c.rewardWei), 0n);
    expect(BigInt(rewards.body.recordedWei)).to.equal(earnedA);
    expect(await runAudit(stack.env, ["--run", run.id])).to.contain("verdict: PASS");
  });

  it("with privacy, agents clip and noise their deltas before signing and the run accounts epsilon", async () => {
    const created = await api<RunSummary>(stack.server.url, "POST", "/api/runs", {
      ...remoteRun,
      rounds: 2,
      seed: 9,
      privacy: { clipNorm: 0.5, noiseMultiplier: 0.1 },
    });
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    const { run, rounds } = await finished(created.body.id);
    for (const r of rounds) {
      expect(r.updates.every((u) => u.accepted)).to.equal(true);
      // Three noised deltas in the average: only if every agent reported its clipping bit, which
      // it does after clipping and noising its delta.
      expect(r.privacy!.aggregateNoiseMultiplier).to.be.within(
        0.1 * Math.sqrt(3) - 1e-9,
        0.1 * Math.sqrt(3) + 1e-9,
      );
    }
    expect(run.privacy!.rounds).to.equal(2);
    expect(run.privacy!.epsilon).to.be.a("number").and.greaterThan(0);
  });

  it("refuses agent calls that the node's wallet did not sign, or whose body was changed", async () => {
    const hello = {
      data: "synthetic:0-10",
      samples: 10,
      histogram: new Array(10).fill(1),
      backend: "wasm",
    };
    const stranger = privateKeyToAccount(HARDHAT_DEV_KEYS[4]!);
    const sent = JSON.stringify(hello);
    const headers = await signAgentRequest(stranger, "agent-a", "POST", "/api/agent/hello", sent);
    const res = await api<{ error: { code: string } }>(
      stack.server.url,
      "POST",
      "/api/agent/hello",
      sent,
      headers,
    );
    expect(res.status).to.equal(401);
    expect(res.body.error.code).to.equal("agent_bad_signature");
    // agent-a's own signature, over a body someone on the way then changed.
    const owner = privateKeyToAccount(keys[0]!);
    const path = "/api/agent/tasks/task-0000000000000000/progress";
    const progress = JSON.stringify({ epoch: 0, batch: 1, batches: 10, loss: 2.3 });
    const signed = await signAgentRequest(owner, "agent-a", "POST", path, progress);
    const tampered = await api<{ error: { code: string } }>(
      stack.server.url,
      "POST",
      path,
      {
        epoch: 0,
        batch: 1,
        batches: 10,
        loss: 0.01,
      },
      signed,
    );
    expect(tampered.status).to.equal(401);
    expect(tampered.body.error.code).to.equal("agent_bad_signature");
    // The same signature over the bytes it was made for passes (the task itself is unknown).
    const genuine = await api<{ error: { code: string } }>(
      stack.server.url,
      "POST",
      path,
      progress,
      signed,
    );
    expect(genuine.body.error.code).to.equal("task_closed");
    const unsigned = await api<{ error: { code: string } }>(
      stack.server.url,
      "GET",
      "/api/agent/task",
    );
    expect(unsigned.status).to.equal(401);
  });

  it("a node killed mid-round: the round completes after the straggler timeout and it earns nothing", async () => {
    const created = await api<RunSummary>(stack.server.url, "POST", "/api/runs", {
      ...remoteRun,
      rounds: 3,
      localEpochs: 20,
      roundTimeoutMs: 30_000,
      minNodes: 2,
      seed: 6,
    });
    expect(created.status).to.equal(201);
    const id = created.body.id;
    // Kill agent-c as soon as it reports training progress in round 2.
    await new Promise<void>((resolve) => {
      const off = stack.coord.events.subscribe(id, (e) => {
        if (e.type === "node-progress" && e.round === 2 && e.nodeId === "agent-c") {
          off();
          resolve();
        }
      });
    });
    await stack.agents[2]!.kill("SIGKILL");
    const { rounds } = await finished(id);
    expect(rounds.map((r) => r.round)).to.deep.equal([1, 2, 3]);
    expect(rounds[0]!.updates.filter((u) => u.accepted)).to.have.length(3);
    const r2 = rounds[1]!;
    const c2 = r2.updates.find((u) => u.nodeId === "agent-c")!;
    expect(c2.accepted).to.equal(false);
    expect(c2.reason).to.match(/round timeout/);
    expect(c2.reward ?? "0").to.equal("0");
    expect(r2.updates.filter((u) => u.accepted)).to.have.length(2);
    // Round 3 goes on with the two live nodes (3 wanted, minNodes 2, after a short grace).
    expect([...rounds[2]!.participants].sort()).to.deep.equal(["agent-a", "agent-b"]);
    const contributions = await api<ContributionRecord[]>(
      stack.server.url,
      "GET",
      `/api/contributions?run=${id}`,
    );
    expect(contributions.body.filter((c) => c.nodeId === "agent-c" && c.round >= 2)).to.have.length(
      0,
    );
  });
});

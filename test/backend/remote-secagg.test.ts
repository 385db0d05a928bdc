// Secure aggregation with remote node agents as separate processes: every agent trains on its own
// data, then runs SecAgg with the coordinator over its signed agent calls (advertise keys, share
// keys, masked input with a signed commitment, unmasking), so the coordinator only learns the sum
// of the masked inputs. Rewards are aggregate-loss, on a real chain, and the audit re-derives them.
import { expect } from "chai";
import { privateKeyToAccount } from "viem/accounts";
import type {
  ContributionRecord,
  CreateRunRequest,
  RunSummary,
} from "../../backend/src/domain/index.js";
import { finishedRun, runAudit, useAgentStack } from "../helpers/coordinator-stack.js";
import { api } from "../helpers/http.js";
import { HARDHAT_DEV_KEYS } from "../helpers/processes.js";
import "../helpers/chai-near.js";

const secureRun: CreateRunRequest = {
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
  reward: { policy: "aggregate-loss", poolPerRound: "100" },
  aggregation: { mode: "secure", clipRange: 1, stageTimeoutMs: 3_000 },
  roundTimeoutMs: 30_000,
  seed: 5,
};

describe("secure aggregation with remote node agents (separate processes)", function () {
  this.timeout(300_000);
  const ids = ["agent-a", "agent-b", "agent-c"];
  const keys = [HARDHAT_DEV_KEYS[5]!, HARDHAT_DEV_KEYS[6]!, HARDHAT_DEV_KEYS[7]!];
  const slices = ["synthetic:0-600", "synthetic:600-1200", "synthetic:1200-1500"];

  const stack = useAgentStack({
    dataDirPrefix: "fl-remote-secagg-",
    workers: 1,
    ids,
    keys,
    slices,
    // Agents check each other's keys against the wallets registered on chain.
    agentArgs: ["--chain-rpc", "{chainRpc}", "--ledger", "{ledger}"],
  });

  const finished = (id: string) => finishedRun(stack.server.url, id);

  const audit = (runId: string) => runAudit(stack.env, ["--run", runId]);

  const contributionsOf = async (runId: string) =>
    (await api<ContributionRecord[]>(stack.server.url, "GET", `/api/contributions?run=${runId}`))
      .body;

  it("agents mask their updates, the coordinator unmasks only the sum, and survivors earn by samples", async () => {
    const created = await api<RunSummary>(stack.server.url, "POST", "/api/runs", secureRun);
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    const { run, rounds } = await finished(created.body.id);
    expect(rounds.map((r) => r.aggregation)).to.deep.equal(["secure", "secure", "secure"]);
    for (const r of rounds) {
      expect([...r.participants].sort()).to.deep.equal(ids);
      expect(r.updates.every((u) => u.accepted)).to.equal(true);
    }
    expect(rounds[2]!.testAccuracy!).to.be.greaterThan(rounds[0]!.testAccuracy!);
    // The unmasked sum, divided by the survivors' signed samples / N, is FedAvg's sample-weighted
    // mean: the same model as a plain run of the same agents, up to fixed-point rounding.
    const plainReq = await api<RunSummary>(stack.server.url, "POST", "/api/runs", {
      ...secureRun,
      aggregation: { mode: "plain" },
    });
    expect(plainReq.status, JSON.stringify(plainReq.body)).to.equal(201);
    const plain = await finished(plainReq.body.id);
    for (let i = 0; i < 3; i++) {
      expect(plain.rounds[i]!.aggregation).to.equal("plain");
      expect(rounds[i]!.testLoss!).to.be.near(plain.rounds[i]!.testLoss!, 1e-3);
      expect(rounds[i]!.testAccuracy!).to.be.near(plain.rounds[i]!.testAccuracy!, 0.005);
    }
    // Every agent ran the four stages itself, over its signed calls.
    for (const a of stack.agents) {
      expect(a.output()).to.match(/round 3: unmasking sent \(3 survivor\(s\)/);
      expect(a.output()).to.match(
        /round 1: the keys of all 3 node\(s\) are signed by their wallets registered on chain/,
      );
    }

    const contributions = await contributionsOf(run.id);
    expect(contributions).to.have.length(9);
    for (const round of [1, 2, 3]) {
      const cs = contributions.filter((c) => c.round === round);
      // The signed sample counts weight the mean and the rewards: 600, 600 and 300.
      expect(cs.map((c) => [c.nodeId, c.samples]).sort()).to.deep.equal([
        ["agent-a", 600],
        ["agent-b", 600],
        ["agent-c", 300],
      ]);
      // One aggregate loss pair per round, and the same reward per sample for every survivor.
      expect(new Set(cs.map((c) => c.lossBefore)).size).to.equal(1);
      expect(new Set(cs.map((c) => c.lossAfter)).size).to.equal(1);
      const perSample = cs.map((c) => Number(BigInt(c.rewardWei) / BigInt(c.samples)));
      expect(Math.max(...perSample) - Math.min(...perSample)).to.be.at.most(1);
      // What each node signed is the hash of its masked input: all different, none the model's.
      expect(new Set(cs.map((c) => c.updateHash)).size).to.equal(3);
      const r = rounds.find((x) => x.round === round)!;
      expect(cs.map((c) => c.updateHash)).to.not.include(r.modelHash);
    }
    const walletA = privateKeyToAccount(keys[0]!).address;
    const rewards = await api<{ recordedWei: string }>(
      stack.server.url,
      "GET",
      `/api/rewards/${walletA}`,
    );
    // The wallet's on-chain total: this run's secure rewards and the plain run's.
    const earnedA = [...contributions, ...(await contributionsOf(plain.run.id))]
      .filter((c) => c.nodeId === "agent-a")
      .reduce((s, c) => s + BigInt(c.rewardWei), 0n);
    expect(BigInt(rewards.body.recordedWei)).to.equal(earnedA);
    expect(await audit(run.id)).to.contain("verdict: PASS");
  });

  it("with DP and int8 compression, agents clip and noise, then quantise into the masking ring; the coordinator accounts the sum's noise", async () => {
    const created = await api<RunSummary>(stack.server.url, "POST", "/api/runs", {
      ...secureRun,
      rounds: 2,
      seed: 8,
      privacy: { clipNorm: 0.5, noiseMultiplier: 0.1 },
      // int8 in the ring: 8 + ceil(log2 3) = 10-bit masked values; the download quantised too.
      compression: { upload: { quantise: "int8" }, download: { quantise: "int8" } },
    });
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    const { run, rounds } = await finished(created.body.id);
    for (const r of rounds) {
      expect(r.aggregation).to.equal("secure");
      expect(
        r.updates.every((u) => u.accepted),
        JSON.stringify(r.updates.map((u) => u.reason)),
      ).to.equal(true);
      // Three noised deltas in the unmasked sum: noise multiplier z x sqrt(3) for the average.
      expect(r.privacy!.aggregateNoiseMultiplier).to.be.near(0.1 * Math.sqrt(3), 1e-9);
      // Masked inputs of 10-bit words (base64 in JSON): well under half of float32.
      const t = r.traffic!;
      expect(t.uploadBytes / t.uploads).to.be.lessThan(0.5 * t.rawModelBytes);
      expect((t.downloads * t.rawModelBytes) / t.downloadBytes).to.be.within(3.9, 4);
    }
    expect(run.privacy!.rounds).to.equal(2);
    // The coordinator sees only the sum, so with every node in every round (no sampling to
    // amplify the model's guarantee) it learns no more than the released model does.
    expect(run.privacy!.coordinatorEpsilon).to.be.a("number").and.greaterThan(0);
    expect(run.privacy!.coordinatorEpsilon!).to.be.near(run.privacy!.epsilon!, 1e-9);
    expect(await audit(run.id)).to.contain("verdict: PASS");
  });

  it("an agent killed after sharing its keys: the round completes with the others and it earns nothing", async () => {
    const created = await api<RunSummary>(stack.server.url, "POST", "/api/runs", {
      ...secureRun,
      rounds: 3,
      minNodes: 2,
      seed: 6,
      // Long enough that the killed agent counts as offline when round 3 picks its nodes.
      aggregation: { ...secureRun.aggregation, stageTimeoutMs: 5_000 },
    });
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    const id = created.body.id;
    // Kill agent-c the moment the coordinator accepts its shares in round 2, before it hears back:
    // it never sends a masked input, and its pair masks must be removed from the others' inputs.
    await new Promise<void>((resolve) => {
      const off = stack.coord.events.subscribe(id, (e) => {
        if (
          e.type === "log" &&
          e.message === "round 2: secure aggregation: agent-c sent share-keys"
        ) {
          stack.agents[2]!.proc.kill("SIGKILL");
          off();
          resolve();
        }
      });
    });
    const { run, rounds } = await finished(id);
    expect(rounds.map((r) => r.round)).to.deep.equal([1, 2, 3]);
    expect(rounds[0]!.updates.filter((u) => u.accepted)).to.have.length(3);
    const r2 = rounds[1]!;
    expect([...r2.participants].sort()).to.deep.equal(ids);
    const c2 = r2.updates.find((u) => u.nodeId === "agent-c")!;
    expect(c2.accepted).to.equal(false);
    expect(c2.reason).to.match(/dropped out of secure aggregation/);
    expect(c2.reward ?? "0").to.equal("0");
    expect(r2.updates.filter((u) => u.accepted).map((u) => u.nodeId)).to.deep.equal([
      "agent-a",
      "agent-b",
    ]);
    // The survivors' sum was unmasked: the model still learns.
    expect(r2.testAccuracy!).to.be.greaterThan(0.5);
    expect([...rounds[2]!.participants].sort()).to.deep.equal(["agent-a", "agent-b"]);
    expect(rounds[2]!.updates.every((u) => u.accepted)).to.equal(true);
    const contributions = await contributionsOf(run.id);
    expect(contributions.filter((c) => c.nodeId === "agent-c").map((c) => c.round)).to.deep.equal([
      1,
    ]);
    expect(
      contributions
        .filter((c) => c.round === 2)
        .map((c) => c.nodeId)
        .sort(),
    ).to.deep.equal(["agent-a", "agent-b"]);
    expect(await audit(run.id)).to.contain("verdict: PASS");
  });
});

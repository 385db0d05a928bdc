// Differential privacy and secure aggregation inside real runs: simulated nodes train on the
// synthetic set, clip and noise their deltas (DP-FedAvg with adaptive clipping) or mask them
// (SecAgg), the coordinator accounts epsilon per round, rewards reach a real chain and the audit
// re-derives them from chain events.
import { expect } from "chai";
import "../helpers/chai-near.js";
import type {
  ContributionRecord,
  CreateRunRequest,
  RunSummary,
} from "../../backend/src/domain/index.js";
import { type Coordinator } from "../../backend/src/coordinator.js";
import { RdpAccountant } from "../../backend/src/privacy/index.js";
import { finishedRun, runAudit, startCoordinatorStack } from "../helpers/coordinator-stack.js";
import { api, type TestServer } from "../helpers/http.js";
import { type LocalChain } from "../helpers/local-chain.js";

const base: CreateRunRequest = {
  dataset: "synthetic",
  model: "2nn",
  partition: { kind: "iid" },
  numNodes: 6,
  fraction: 1,
  rounds: 3,
  localEpochs: 1,
  batchSize: 20,
  learningRate: 0.05,
  strategy: { name: "fedavg" },
  seed: 11,
};

describe("privacy and secure aggregation in runs", function () {
  this.timeout(600_000);
  let chain: LocalChain;
  let coord: Coordinator;
  let server: TestServer;
  let env: Record<string, string>;

  before(async () => {
    ({ chain, coord, server, env } = await startCoordinatorStack({
      dataDirPrefix: "fl-private-",
      workers: 2,
    }));
  });

  after(async () => {
    await server?.close();
    await coord?.close();
    await chain?.stop();
  });

  async function complete(req: CreateRunRequest) {
    const created = await api<RunSummary>(server.url, "POST", "/api/runs", req);
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    return finishedRun(server.url, created.body.id);
  }

  const audit = (runId: string) => runAudit(env, ["--run", runId]);

  it("DP-FedAvg with adaptive clipping and compressed uploads: epsilon grows every round, the clip norm adapts, rewards audit", async () => {
    const { run, rounds } = await complete({
      ...base,
      fraction: 0.5,
      rounds: 4,
      privacy: {
        clipNorm: 0.05,
        noiseMultiplier: 0.3,
        adaptiveClipping: { targetQuantile: 0.5, learningRate: 0.5 },
        delta: 1e-5,
      },
      // Nodes clip, noise, then compress (top-k with error feedback, int8): post-processing of
      // the noised delta, so the accountant below is exactly the one without compression.
      compression: { upload: { topK: 0.1, quantise: "int8" } },
    });
    expect(rounds).to.have.length(4);
    for (const r of rounds) {
      const t = r.traffic!;
      expect((t.uploads * t.rawModelBytes) / t.uploadBytes).to.be.greaterThan(15);
    }
    const eps = rounds.map((r) => r.privacy!.epsilon!);
    for (let i = 1; i < eps.length; i++) expect(eps[i]).to.be.greaterThan(eps[i - 1]!);
    // Recompute the budget independently: per round, the noised average (z sqrt(3)) and the
    // noised clipped-count (std 3/20, noise multiplier 2 x 0.15) form one Gaussian mechanism,
    // sampled with q = 3/6; the coordinator sees each delta with z = 0.3, unamplified.
    const zAvg = 0.3 * Math.sqrt(3);
    const zEff = 1 / Math.sqrt(1 / zAvg ** 2 + 1 / 0.3 ** 2);
    const model = new RdpAccountant();
    const coordinator = new RdpAccountant();
    rounds.forEach((r, i) => {
      expect(r.privacy!.noiseMultiplier).to.equal(0.3);
      expect(r.privacy!.aggregateNoiseMultiplier).to.be.within(zAvg - 1e-9, zAvg + 1e-9);
      model.step(zEff, 0.5);
      coordinator.step(0.3, 1);
      expect(r.privacy!.epsilon!, `round ${i + 1}`).to.be.within(
        model.getEpsilon(1e-5).epsilon - 1e-9,
        model.getEpsilon(1e-5).epsilon + 1e-9,
      );
      expect(r.privacy!.coordinatorEpsilon!).to.be.within(
        coordinator.getEpsilon(1e-5).epsilon - 1e-9,
        coordinator.getEpsilon(1e-5).epsilon + 1e-9,
      );
    });
    // The clip norm starts at 0.05 and moves towards the median delta norm.
    expect(rounds[0]!.privacy!.clipNorm).to.equal(0.05);
    expect(rounds[3]!.privacy!.clipNorm).to.not.equal(0.05);
    expect(run.privacy).to.deep.include({ rounds: 4, delta: 1e-5, epsilon: eps[3] });
    // Rewards stay coordinator-measured loss improvements of the (noised) updates.
    const contributions = (
      await api<ContributionRecord[]>(server.url, "GET", `/api/contributions?run=${run.id}`)
    ).body;
    expect(contributions).to.have.length(12);
    expect(await audit(run.id)).to.contain("verdict: PASS");
  });

  it("a privacy budget (maxEpsilon) ends the run before the round that would pass it", async () => {
    // 3 of 6 nodes per round, z = 0.5: the model mechanism is z sqrt(3), sampled with q = 1/2.
    const model = new RdpAccountant();
    const after: number[] = [];
    for (let r = 0; r < 3; r++) {
      model.step(0.5 * Math.sqrt(3), 0.5);
      after.push(model.getEpsilon(1e-5).epsilon);
    }
    const cap = (after[1]! + after[2]!) / 2; // two rounds fit, the third would not
    const privacy = { clipNorm: 1, noiseMultiplier: 0.5, delta: 1e-5, maxEpsilon: cap };
    const { run, rounds } = await complete({ ...base, fraction: 0.5, rounds: 6, privacy });
    expect(run.status).to.equal("completed");
    expect(rounds).to.have.length(2);
    expect(rounds[1]!.privacy!.epsilon!).to.be.near(after[1]!, 1e-9);
    expect(rounds[1]!.privacy!.epsilon! <= cap, "within the budget").to.equal(true);
    const logs = (await coord.events.history(run.id)).filter((e) => e.type === "log");
    expect(logs.map((e) => e.message).join("\n")).to.match(
      /privacy budget: round 3 would bring the model epsilon to [\d.]+, past maxEpsilon/,
    );
    // A cap without noise can never hold: refused when the run is created.
    const refused = await api<{ error: { message: string } }>(server.url, "POST", "/api/runs", {
      ...base,
      privacy: { clipNorm: 1, noiseMultiplier: 0, maxEpsilon: 5 },
    });
    expect(refused.status).to.equal(400);
    expect(refused.body.error.message).to.contain("maxEpsilon needs noiseMultiplier > 0");
  });

  it("secure aggregation gives the same model as plain FedAvg and pays every survivor by samples", async () => {
    const plain = await complete({
      ...base,
      partition: { kind: "dirichlet", alpha: 0.5 },
      reward: { policy: "aggregate-loss", poolPerRound: "100" },
    });
    const secure = await complete({
      ...base,
      partition: { kind: "dirichlet", alpha: 0.5 },
      reward: { policy: "aggregate-loss", poolPerRound: "100" },
      aggregation: { mode: "secure", clipRange: 1 },
    });
    expect(secure.rounds.map((r) => r.aggregation)).to.deep.equal(["secure", "secure", "secure"]);
    expect(plain.rounds.map((r) => r.aggregation)).to.deep.equal(["plain", "plain", "plain"]);
    // The unmasked sum is FedAvg's weighted mean up to fixed-point rounding (~1e-8 per weight).
    for (let i = 0; i < 3; i++) {
      expect(secure.rounds[i]!.testAccuracy!).to.be.within(
        plain.rounds[i]!.testAccuracy! - 0.005,
        plain.rounds[i]!.testAccuracy! + 0.005,
      );
    }
    expect(secure.rounds[2]!.testAccuracy!).to.be.greaterThan(
      secure.rounds[0]!.testAccuracy! - 0.01,
    );

    const contributions = (
      await api<ContributionRecord[]>(server.url, "GET", `/api/contributions?run=${secure.run.id}`)
    ).body;
    expect(contributions).to.have.length(18);
    for (const round of [1, 2, 3]) {
      const cs = contributions.filter((c) => c.round === round);
      // Every node of a round carries the round's aggregate losses, and reward / samples is the
      // same for all (up to the floor of the integer split).
      expect(new Set(cs.map((c) => c.lossBefore)).size).to.equal(1);
      expect(new Set(cs.map((c) => c.lossAfter)).size).to.equal(1);
      const perSample = cs.map((c) => Number(BigInt(c.rewardWei) / BigInt(c.samples)));
      const lo = Math.min(...perSample);
      const hi = Math.max(...perSample);
      expect(hi - lo).to.be.at.most(1);
    }
    expect(await audit(secure.run.id)).to.contain("verdict: PASS");
  });

  it("refuses secure aggregation with per-node rewards, robust strategies or byzantine nodes", async () => {
    const secure = { aggregation: { mode: "secure" as const, clipRange: 1 } };
    const perNode = await api<{ error: { code: string; message: string } }>(
      server.url,
      "POST",
      "/api/runs",
      { ...base, ...secure },
    );
    expect(perNode.status).to.equal(400);
    expect(perNode.body.error.message).to.match(/aggregate-loss/);
    const krum = await api<{ error: { message: string } }>(server.url, "POST", "/api/runs", {
      ...base,
      ...secure,
      reward: { policy: "aggregate-loss" },
      strategy: { name: "krum" },
    });
    expect(krum.status).to.equal(400);
    expect(krum.body.error.message).to.match(/robust strategies/);
    // Remote agents speak the masking protocol (remote-secagg.test.ts), but cannot be byzantine.
    const byzantine = await api<{ error: { message: string } }>(server.url, "POST", "/api/runs", {
      ...base,
      ...secure,
      reward: { policy: "aggregate-loss" },
      byzantine: { fraction: 0.2, attack: "sign-flip" },
    });
    expect(byzantine.status).to.equal(400);
    expect(byzantine.body.error.message).to.match(/poisoned updates/);
    const badPrivacy = await api(server.url, "POST", "/api/runs", {
      ...base,
      privacy: { clipNorm: -1, noiseMultiplier: 1 },
    });
    expect(badPrivacy.status).to.equal(400);
  });
});

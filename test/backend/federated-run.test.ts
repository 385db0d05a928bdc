// End to end on the real stack: a real `hardhat node` with the contracts deployed by Ignition, the
// coordinator with the TensorFlow.js engine on worker threads, real training on the seeded
// synthetic dataset, rewards minted on chain through the outbox, and the audit CLI.
import { expect } from "chai";
import { createPublicClient, http, parseAbiItem, type Address } from "viem";
import type {
  ContributionRecord,
  ContributionTotals,
  CreateRunRequest,
  RoundRecord,
  RunSummary,
} from "../../backend/src/domain/index.js";
import { type Coordinator } from "../../backend/src/coordinator.js";
import { rewardTokenAbi } from "../../chain/generated/abis.js";
import { type LocalChain } from "../helpers/local-chain.js";
import {
  finishedRun,
  runAudit,
  startCoordinator,
  startCoordinatorStack,
} from "../helpers/coordinator-stack.js";
import { api, listen, type TestServer } from "../helpers/http.js";
import { until } from "../helpers/until.js";

const baseRun: CreateRunRequest = {
  dataset: "synthetic",
  model: "2nn",
  partition: { kind: "iid" },
  numNodes: 4,
  fraction: 1,
  rounds: 3,
  localEpochs: 1,
  batchSize: 20,
  learningRate: 0.05,
  strategy: { name: "fedavg" },
  reward: { policy: "loss-improvement", poolPerRound: "100" },
  seed: 3,
};

describe("a federated run end to end on a real chain", function () {
  this.timeout(600_000);
  let chain: LocalChain;
  let coord: Coordinator;
  let server: TestServer;
  let env: Record<string, string>;

  before(async () => {
    ({ chain, coord, server, env } = await startCoordinatorStack({
      dataDirPrefix: "fl-run-",
      workers: 2,
    }));
  });

  after(async () => {
    await server?.close();
    await coord?.close();
    await chain?.stop();
  });

  async function runToCompletion(req: CreateRunRequest): Promise<{
    run: RunSummary;
    rounds: RoundRecord[];
  }> {
    const created = await api<RunSummary>(server.url, "POST", "/api/runs", req);
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    // Every round with contributions reaches the chain through the outbox.
    return finishedRun(server.url, created.body.id);
  }

  it("trains, rewards on chain, and passes the audit", async () => {
    const { run, rounds } = await runToCompletion(baseRun);
    expect(run.engine).to.be.a("string").and.not.equal("");
    expect(rounds).to.have.length(3);
    // Learning happens: accuracy rises from round 1 to the last round and beats chance.
    const acc = rounds.map((r) => r.testAccuracy!);
    expect(acc[2]!).to.be.greaterThan(acc[0]!);
    expect(acc[2]!).to.be.greaterThan(0.5);
    for (const r of rounds) {
      expect(r.participants).to.have.length(4);
      expect(r.updates.filter((u) => u.accepted)).to.have.length(4);
      expect(r.modelHash).to.match(/^0x[0-9a-f]{64}$/);
      expect(r.txHash).to.match(/^0x[0-9a-f]{64}$/);
    }

    // The simulated nodes that trained are idle again, last seen during the run.
    const nodes = await api<{ id: string; status: string; lastSeen: number | null }[]>(
      server.url,
      "GET",
      "/api/nodes",
    );
    for (const id of rounds[0]!.participants) {
      const n = nodes.body.find((x) => x.id === id)!;
      expect(n.status).to.equal("idle");
      expect(n.lastSeen).to.be.at.least(run.createdAt);
    }

    // Contributions in the API equal the Transfer-from-zero mints on chain, node by node.
    const contributions = await api<ContributionRecord[]>(
      server.url,
      "GET",
      `/api/contributions?run=${run.id}`,
    );
    expect(contributions.status).to.equal(200);
    expect(contributions.body).to.have.length(12);
    const client = createPublicClient({ transport: http(chain.rpcUrl) });
    const token = chain.deployment.contracts.RewardToken.address as Address;
    const ledger = chain.deployment.contracts.ContributionLedger.address as Address;
    const mints = await client.getLogs({
      address: token,
      event: parseAbiItem(
        "event Transfer(address indexed from, address indexed to, uint256 value)",
      ),
      args: { from: "0x0000000000000000000000000000000000000000" },
      fromBlock: 0n,
    });
    const minted = mints.reduce((s, l) => s + l.args.value!, 0n);
    const rewarded = contributions.body.reduce((s, c) => s + BigInt(c.rewardWei), 0n);
    expect(minted).to.equal(rewarded);
    const totals = await api<ContributionTotals>(
      server.url,
      "GET",
      `/api/contributions/totals?run=${run.id}`,
    );
    expect(totals.body).to.deep.equal({
      contributions: 12,
      recorded: 12,
      recordedWei: minted.toString(),
      pendingWei: "0",
    });
    // Each round's pool (100 tokens) is fully split, up to integer rounding dust.
    expect(rewarded).to.be.greaterThan(299n * 10n ** 18n);
    expect(rewarded).to.be.at.most(300n * 10n ** 18n);
    const supply = await client.readContract({
      address: token,
      abi: rewardTokenAbi,
      functionName: "totalSupply",
    });
    expect(supply).to.equal(rewarded);

    // The node's balance in the rewards API equals the sum of its contributions' rewards.
    const wallet = contributions.body[0]!.wallet;
    const mine = contributions.body
      .filter((c) => c.wallet === wallet)
      .reduce((s, c) => s + BigInt(c.rewardWei), 0n);
    const rewards = await api<{ recordedWei: string; claimableWei: string; claimedWei: string }>(
      server.url,
      "GET",
      `/api/rewards/${wallet}`,
    );
    expect(rewards.status).to.equal(200);
    expect(BigInt(rewards.body.recordedWei)).to.equal(mine);
    expect(BigInt(rewards.body.claimableWei)).to.equal(mine);
    expect(
      await client.readContract({
        address: token,
        abi: rewardTokenAbi,
        functionName: "balanceOf",
        args: [ledger],
      }),
    ).to.equal(rewarded);

    // The audit CLI re-derives everything from chain events and agrees with the store.
    const stdout = await runAudit(env, ["--run", run.id]);
    expect(stdout).to.contain("verdict: PASS");
    expect(stdout).not.to.contain("FAIL");
  });

  it("resumes an unfinished run from its last checkpoint after a coordinator restart, with retention pruning versions", async () => {
    // Retention on: every 3rd version, no best, updates of the last round only. The checkpoint a
    // run resumes from is its latest version, which retention never prunes while it is the latest.
    const created = await api<RunSummary>(server.url, "POST", "/api/runs", {
      ...baseRun,
      rounds: 5,
      seed: 11,
      retention: { models: { keep: "every", k: 3 }, updates: { keep: "last", rounds: 1 } },
      keepBest: false,
    });
    expect(created.status).to.equal(201);
    const id = created.body.id;
    await until("two completed rounds", async () => {
      const r = await api<RunSummary>(server.url, "GET", `/api/runs/${id}`);
      return r.body.completedRounds >= 2;
    });
    // Restart: a new coordinator process on the same store and chain.
    await server.close();
    await coord.close();
    const before = (await api<RunSummary>(server.url, "GET", `/api/runs/${id}`).catch(() => null))
      ?.body;
    expect(before).to.equal(undefined);
    coord = await startCoordinator(env);
    server = await listen(coord.app);
    const run = await until(`run ${id} to complete after the restart`, async () => {
      const r = await api<RunSummary>(server.url, "GET", `/api/runs/${id}`);
      if (r.body.status === "failed") throw new Error(`run failed: ${r.body.error}`);
      return r.body.status === "completed" && r.body;
    });
    expect(run.completedRounds).to.equal(5);
    const rounds = await until("all rounds on chain", async () => {
      const r = await api<RoundRecord[]>(server.url, "GET", `/api/runs/${id}/rounds`);
      return r.body.every((x) => x.txHash !== null) && r.body;
    });
    expect(rounds.map((r) => r.round)).to.deep.equal([1, 2, 3, 4, 5]);
    // Nothing minted twice: 5 rounds x 4 contributions, and the audit agrees with the chain.
    const contributions = await api<ContributionRecord[]>(
      server.url,
      "GET",
      `/api/contributions?run=${id}`,
    );
    expect(contributions.body).to.have.length(20);
    const stdout = await runAudit(env, ["--run", id]);
    expect(stdout).to.contain("verdict: PASS");

    // Every round started from the model the round before it produced, across the restart too.
    const refs = (
      await api<{ round: number; kind: string; hash: string; stored: boolean }[]>(
        server.url,
        "GET",
        `/api/runs/${id}/artifacts`,
      )
    ).body;
    const ref = (round: number, kind: string) =>
      refs.find((r) => r.round === round && r.kind === kind);
    for (let r = 1; r <= 5; r++) {
      expect(ref(r, "start")?.hash, `round ${r} start`).to.equal(ref(r - 1, "model")?.hash);
      expect(ref(r, "model")?.hash).to.equal(rounds[r - 1]!.modelHash);
    }
    // What the policy keeps: the initial model, every 3rd, the last; updates of round 5 only.
    const models = await api<{ round: number; stored: boolean }[]>(
      server.url,
      "GET",
      `/api/runs/${id}/models`,
    );
    const kept = models.body.filter((v) => v.stored).map((v) => v.round);
    expect(kept.sort()).to.deep.equal([0, 3, 5]);
    const updates = refs.filter((r) => r.kind === "update");
    expect(updates.filter((u) => u.stored).map((u) => u.round)).to.deep.equal([5, 5, 5, 5]);
  });

  for (const strategy of [
    { name: "krum", f: 1, m: 1 },
    { name: "trimmed-mean", beta: 0.2 },
  ] as const) {
    it(`a sign-flipping node under ${strategy.name} earns nothing and does not stop learning`, async () => {
      const { rounds } = await runToCompletion({
        ...baseRun,
        numNodes: 5,
        strategy,
        byzantine: { fraction: 0.2, attack: "scale", scale: -4 },
      });
      const byzantine = await api<{ nodeId: string; byzantine: boolean }[]>(
        server.url,
        "GET",
        `/api/runs/${rounds[0]!.runId}/nodes`,
      );
      const attacker = byzantine.body.find((n) => n.byzantine)!;
      expect(attacker).to.not.equal(undefined);
      for (const r of rounds) {
        const u = r.updates.find((x) => x.nodeId === attacker.nodeId)!;
        expect(u.reward ?? "0").to.equal("0");
        if (strategy.name === "krum") {
          expect(u.accepted).to.equal(false);
          expect(u.reason).to.be.a("string");
        }
      }
      expect(rounds.at(-1)!.testAccuracy!).to.be.greaterThan(rounds[0]!.testAccuracy!);
      expect(rounds.at(-1)!.testAccuracy!).to.be.greaterThan(0.5);
    });
  }
});

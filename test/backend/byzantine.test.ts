// Issue 7: 20% Byzantine nodes on MNIST, on the real stack (a `hardhat node` with the contracts,
// the coordinator with the TensorFlow.js engine, rewards on chain through the outbox, the audit
// CLI). For each robust strategy an attacked run and a clean run with the same seed (same shards,
// same initial model, same training seeds): the attacked run ends within 1 accuracy point of the
// clean one, and the Byzantine nodes earn nothing, neither in the store nor on chain.
//
// - trimmed mean (beta 0.2) against boosted updates (delta x 10, the model-replacement scaling);
// - Multi-Krum (f 2, m 8) against sign-flipped updates.
//
// Trimmed mean rejects nobody: the Byzantine updates are aggregated coordinate-wise with the others
// and earn nothing only because the coordinator scores each update alone on its validation split
// (loss-improvement), where a poisoned update raises the loss. Multi-Krum rejects them outright.
// Trimmed mean against sign flips is not asserted: on this setting it ends 0.74 points below its
// clean run (89.49% vs 90.23%; 0.94 with updates scaled by -4), too close to the bound to test,
// and 0.85 to 1.2 points below with the other data sizes, learning rates and attacker sets tried.
// The flipped values sit at one end of most coordinates, so trimming drops them and as many honest
// values from the other end: the aggregate step shrinks.
import { expect } from "chai";
import "../helpers/chai-near.js";
import { createPublicClient, http, keccak256, toBytes, type Address } from "viem";
import type {
  ContributionRecord,
  CreateRunRequest,
  RewardsSummary,
  RoundRecord,
  RunSummary,
} from "../../backend/src/domain/index.js";
import { type Coordinator } from "../../backend/src/coordinator.js";
import { contributionLedgerAbi } from "../../chain/generated/abis.js";
import { type LocalChain } from "../helpers/local-chain.js";
import { finishedRun, runAudit, startCoordinatorStack } from "../helpers/coordinator-stack.js";
import { api, type TestServer } from "../helpers/http.js";

/**
 * 10 IID nodes of 600 MNIST images, softmax regression, every node every round. Logistic
 * regression plateaus near 90% in about 12 rounds at this learning rate, so the comparison is of
 * two converged models, not of two points on a steep curve.
 */
const base: CreateRunRequest = {
  dataset: "mnist",
  trainLimit: 6000,
  model: "logreg",
  partition: { kind: "iid" },
  numNodes: 10,
  fraction: 1,
  rounds: 15,
  localEpochs: 1,
  batchSize: 20,
  learningRate: 0.3,
  strategy: { name: "fedavg" },
  reward: { policy: "loss-improvement", poolPerRound: "100" },
  seed: 5,
};

const cases = [
  {
    label: "trimmed mean against updates scaled x10",
    strategy: { name: "trimmed-mean", beta: 0.2 },
    byzantine: { fraction: 0.2, attack: "scale", scale: 10 },
  },
  {
    label: "Multi-Krum against sign-flipped updates",
    strategy: { name: "krum", f: 2, m: 8 },
    byzantine: { fraction: 0.2, attack: "sign-flip" },
  },
] as const satisfies readonly {
  label: string;
  strategy: CreateRunRequest["strategy"];
  byzantine: CreateRunRequest["byzantine"];
}[];

interface Finished {
  run: RunSummary;
  rounds: RoundRecord[];
}

describe("20% Byzantine nodes on MNIST under robust strategies, on a real chain", function () {
  this.timeout(600_000);
  let chain: LocalChain;
  let coord: Coordinator;
  let server: TestServer;
  let env: Record<string, string>;
  const attacked = new Map<string, Finished>();

  before(async () => {
    ({ chain, coord, server, env } = await startCoordinatorStack({
      dataDirPrefix: "fl-byzantine-",
      workers: 2,
    }));
  });

  after(async () => {
    await server?.close();
    await coord?.close();
    await chain?.stop();
  });

  async function start(req: CreateRunRequest): Promise<string> {
    const created = await api<RunSummary>(server.url, "POST", "/api/runs", req);
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    return created.body.id;
  }

  /** Waits for a run to complete and for every round to be recorded on chain. */
  const finished = (id: string): Promise<Finished> => finishedRun(server.url, id);

  const finalAccuracy = (f: Finished) => f.rounds.at(-1)!.testAccuracy!;

  it("pays the Byzantine nodes nothing, in the store and on chain", async () => {
    // Both attacked runs first, while no other run has paid these wallets anything.
    const ids = await Promise.all(
      cases.map((c) => start({ ...base, strategy: c.strategy, byzantine: c.byzantine })),
    );
    const runs = await Promise.all(ids.map(finished));
    const client = createPublicClient({ transport: http(chain.rpcUrl) });
    const ledger = chain.deployment.contracts.ContributionLedger.address as Address;
    let byzantineWallets: string[] = [];

    for (const [i, c] of cases.entries()) {
      const { run, rounds } = runs[i]!;
      attacked.set(c.label, runs[i]!);
      const nodes = await api<{ nodeId: string; wallet: string; byzantine: boolean }[]>(
        server.url,
        "GET",
        `/api/runs/${run.id}/nodes`,
      );
      const byzantine = nodes.body.filter((n) => n.byzantine);
      expect(byzantine, c.label).to.have.length(2);
      byzantineWallets = byzantine.map((n) => n.wallet);
      const isByzantine = new Set(byzantine.map((n) => n.nodeId));

      let honestWei = 0n;
      for (const r of rounds) {
        expect(r.updates, `${c.label}, round ${r.round}`).to.have.length(10);
        for (const u of r.updates) {
          // No reward to a rejected update, Byzantine or not.
          if (!u.accepted) expect(u.reward ?? "0").to.equal("0");
          if (isByzantine.has(u.nodeId)) {
            expect(u.reward ?? "0", `${c.label}: ${u.nodeId} in round ${r.round}`).to.equal("0");
            if (c.strategy.name === "krum") {
              expect(u.accepted).to.equal(false);
              expect(u.reason).to.match(/^multi-krum: not selected/);
            } else {
              // Trimmed mean aggregates everyone; scored alone, the boosted update raised the
              // validation loss.
              expect(u.accepted).to.equal(true);
              expect(u.lossAfter!).to.be.greaterThan(u.lossBefore!);
            }
          } else {
            if (c.strategy.name === "krum") expect(u.accepted, u.reason).to.equal(true);
            honestWei += BigInt(u.reward ?? "0");
          }
        }
      }
      // The honest nodes did earn, so the zeros above are not a pool nobody was paid from.
      expect(honestWei, c.label).to.be.greaterThan(0n);

      // The store's contributions agree: Byzantine ones (if any were recorded) carry 0.
      const contributions = await api<ContributionRecord[]>(
        server.url,
        "GET",
        `/api/contributions?run=${run.id}`,
      );
      const byzContribs = contributions.body.filter((x) => isByzantine.has(x.nodeId));
      expect(byzContribs, c.label).to.have.length(
        c.strategy.name === "krum" ? 0 : byzantine.length * base.rounds,
      );
      for (const x of byzContribs) expect(x.rewardWei).to.equal("0");

      // On chain, for this run: the ContributionRecorded events of the Byzantine wallets pay 0.
      for (const wallet of byzantine.map((n) => n.wallet as Address)) {
        const logs = (await client.getContractEvents({
          address: ledger,
          abi: contributionLedgerAbi,
          eventName: "ContributionRecorded",
          args: { runId: keccak256(toBytes(run.id)), node: wallet },
          fromBlock: 0n,
        })) as unknown as { args: { reward: bigint } }[];
        expect(logs, `${c.label}: ${wallet}`).to.have.length(
          c.strategy.name === "krum" ? 0 : base.rounds,
        );
        expect(logs.reduce((s, l) => s + l.args.reward, 0n)).to.equal(0n);
      }
    }

    // Both runs pick the same attackers (seeded); their wallets' totals on chain are 0.
    for (const wallet of byzantineWallets) {
      const r = await api<RewardsSummary>(server.url, "GET", `/api/rewards/${wallet}`);
      expect(r.status).to.equal(200);
      expect(r.body.recordedWei, wallet).to.equal("0");
      expect(r.body.claimableWei, wallet).to.equal("0");
    }
  });

  it("ends within 1 accuracy point of the clean run with the same seed", async () => {
    expect(attacked.size, "the attacked runs of the previous test").to.equal(cases.length);
    const ids = await Promise.all(cases.map((c) => start({ ...base, strategy: c.strategy })));
    const clean = await Promise.all(ids.map(finished));
    for (const [i, c] of cases.entries()) {
      const cleanAcc = finalAccuracy(clean[i]!);
      const attackedAcc = finalAccuracy(attacked.get(c.label)!);
      console.log(
        `      ${c.label}: clean ${(cleanAcc * 100).toFixed(2)}%, attacked ${(attackedAcc * 100).toFixed(2)}% after ${base.rounds} rounds`,
      );
      // Both learned (chance is 10%), and the attack cost less than 1 point.
      expect(cleanAcc, c.label).to.be.greaterThan(0.85);
      expect(attackedAcc, c.label).to.be.near(cleanAcc, 0.01);
    }
  });

  it("passes the audit for every run", async () => {
    const stdout = await runAudit(env, ["--all"]);
    expect(stdout.match(/verdict: PASS/g) ?? [], stdout).to.have.length(2 * cases.length);
    expect(stdout).not.to.contain("FAIL");
  });
});

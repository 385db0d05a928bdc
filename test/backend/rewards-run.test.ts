// The default reward policy and the zero-score rule end to end: a real `hardhat node`, the
// coordinator with the TensorFlow.js engine, rewards minted through the outbox, and the audit CLI
// re-deriving every reward (carried pools included) from chain events.
import { expect } from "chai";
import type {
  ContributionRecord,
  CreateRunRequest,
  RunSummary,
} from "../../backend/src/domain/index.js";
import { DEFAULT_REWARD } from "../../backend/src/rewards/policies/registry.js";
import type { Coordinator } from "../../backend/src/coordinator.js";
import type { LocalChain } from "../helpers/local-chain.js";
import { finishedRun, runAudit, startCoordinatorStack } from "../helpers/coordinator-stack.js";
import { api, type TestServer } from "../helpers/http.js";

const POOL = 100n * 10n ** 18n;

const run: CreateRunRequest = {
  dataset: "synthetic",
  model: "2nn",
  partition: { kind: "dirichlet", alpha: 0.3 },
  numNodes: 5,
  fraction: 1,
  rounds: 3,
  localEpochs: 1,
  batchSize: 20,
  learningRate: 0.05,
  strategy: { name: "fedavg" },
  seed: 5,
};

describe("rewards end to end: the default policy and the zero-score rule on chain", function () {
  this.timeout(120_000);
  let chain: LocalChain;
  let coord: Coordinator;
  let server: TestServer;
  let env: Record<string, string>;

  before(async () => {
    ({ chain, coord, server, env } = await startCoordinatorStack({
      dataDirPrefix: "fl-rewards-",
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
    const done = await finishedRun(server.url, created.body.id);
    const contributions = await api<ContributionRecord[]>(
      server.url,
      "GET",
      `/api/contributions?run=${created.body.id}`,
    );
    const paid = (round: number) =>
      contributions.body
        .filter((c) => c.round === round)
        .reduce((s, c) => s + BigInt(c.rewardWei), 0n);
    return { ...done, paid };
  }

  it("pays every round whose validation loss fell, and the audit re-derives it", async () => {
    const { run: done, rounds, paid } = await complete(run);
    expect(done.config.reward.policy).to.equal(DEFAULT_REWARD.policy);
    let carried = 0n;
    for (const r of rounds) {
      const pool = POOL + carried;
      const fell = r.validationLossAfter! < r.validationLossBefore!;
      if (fell) {
        // Within rounding dust of the whole pool (the dust carries on).
        expect(paid(r.round), `round ${r.round}`).to.be.greaterThan(pool - 100n);
      }
      carried = pool - paid(r.round);
    }
    const stdout = await runAudit(env, ["--run", done.id]);
    expect(stdout).to.contain(`policy ${DEFAULT_REWARD.policy}`);
    expect(stdout).to.contain("zero-score rule carry-over");
    expect(stdout).to.contain("verdict: PASS");
  });

  it("a diverging run is never failed: rounds it cannot score carry their pool", async () => {
    // A learning rate of 10 makes the model's validation loss explode within a round or two.
    const {
      run: done,
      rounds,
      paid,
    } = await complete({
      ...run,
      learningRate: 10,
      rounds: 4,
      reward: { policy: "loss-improvement", poolPerRound: "100" },
    });
    expect(done.status).to.equal("completed");
    const unpaid = rounds.filter((r) => paid(r.round) === 0n);
    expect(unpaid.length, "rounds that paid nothing").to.be.greaterThan(0);
    for (const r of rounds) {
      for (const u of r.updates.filter((x) => x.accepted)) {
        expect(Number.isFinite(u.lossBefore) && Number.isFinite(u.lossAfter)).to.equal(true);
      }
    }
    const stdout = await runAudit(env, ["--run", done.id]);
    expect(stdout).to.contain("verdict: PASS");
  });
});

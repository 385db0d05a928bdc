// The chain reset under the coordinator (issue 13): a local `hardhat node` restarted empty, the
// contracts deployed again at the same addresses. Before, health said "ok" while the outbox
// retried RunNotRegistered forever and every later run's writes waited behind it. Now the reset is
// detected (genesis and code), writes pause, health says what happened and what to do, and the
// documented recovery re-records everything on the new deployment, which the audit then passes.
import { expect } from "chai";
import type { RunSummary } from "../../backend/src/domain/index.js";
import { finishedRun, runAudit, startCoordinatorStack } from "../helpers/coordinator-stack.js";
import { api } from "../helpers/http.js";
import { until } from "../helpers/until.js";

const quickRun = {
  dataset: "synthetic",
  model: "logreg",
  partition: { kind: "iid" },
  numNodes: 3,
  fraction: 1,
  rounds: 2,
  localEpochs: 1,
  batchSize: 32,
  learningRate: 0.1,
  strategy: { name: "fedavg" },
};

interface Health {
  status: string;
  problems: string[];
  chain: { reachable: boolean; reset?: { reason: string; choices: string[] }; ageMs: number };
}

describe("a chain reset under the coordinator", function () {
  this.timeout(300_000);
  let stack: Awaited<ReturnType<typeof startCoordinatorStack>>;

  before(async () => {
    stack = await startCoordinatorStack({ dataDirPrefix: "fl-chain-reset-", workers: 1 });
  });

  after(async () => {
    await stack?.server.close();
    await stack?.coord.close();
    await stack?.chain.stop();
  });

  it("is detected, pauses writes, says what to do, and is recovered by re-recording", async () => {
    const url = stack.server.url;
    const health = async () => (await api<Health>(url, "GET", "/api/health")).body;
    const before = (await api<RunSummary>(url, "POST", "/api/runs", quickRun)).body;
    await finishedRun(url, before.id);
    expect((await health()).status).to.equal("ok");

    await stack.chain.restart();
    const reset = await until("the reset to be detected", async () => {
      const h = await health();
      return h.chain.reset && h;
    });
    expect(reset.status).to.equal("degraded");
    expect(reset.chain.reset!.choices.join(" ")).to.match(/chain-recovery/);
    // While the chain is gone, health answers at once from its cached reading.
    const t0 = Date.now();
    await health();
    expect(Date.now() - t0).to.be.lessThan(1_000);

    // The user follows the hint and redeploys: same addresses, a new genesis. Health must not
    // turn ok while nothing it recorded is on this chain.
    await stack.chain.redeploy();
    const during = (await api<RunSummary>(url, "POST", "/api/runs", quickRun)).body;
    await until(
      "the new run to train",
      async () =>
        (await api<RunSummary>(url, "GET", `/api/runs/${during.id}`)).body.status === "completed",
    );
    await new Promise((r) => setTimeout(r, 1_000));
    const still = await health();
    expect(still.status).to.equal("degraded");
    expect(still.chain.reset).to.not.equal(undefined);

    const recovery = await api<{ requeued: number; runs: number }>(
      url,
      "POST",
      "/api/admin/chain-recovery",
      { mode: "re-record" },
    );
    expect(recovery.status, JSON.stringify(recovery.body)).to.equal(200);
    expect(recovery.body.runs).to.equal(2);
    await until("health to be ok again", async () => (await health()).status === "ok");
    for (const id of [before.id, during.id]) await finishedRun(url, id);
    const audit = await runAudit(stack.env, ["--all"]);
    expect(audit.match(/verdict: PASS/g) ?? [], audit).to.have.length(2);
    // Again: nothing left to recover.
    const again = await api<{ error: { code: string } }>(url, "POST", "/api/admin/chain-recovery", {
      mode: "re-record",
    });
    expect(again.status).to.equal(409);
    expect(again.body.error.code).to.equal("nothing_to_recover");
  });
});

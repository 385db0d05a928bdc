// The default reward policy is the one `npm run bench:rewards` chose (docs/bench-rewards.json), and
// the choice follows its stated rule from the recorded figures.
import { expect } from "chai";
import { readFileSync } from "node:fs";
import path from "node:path";
import { DEFAULT_REWARD, POLICY_IDS } from "../../backend/src/rewards/policies/registry.js";
import { CreateRunRequest } from "../../backend/src/domain/index.js";
import {
  chooseDefault,
  verdictOf,
  type BenchRow,
  type PolicyVerdict,
} from "../../scripts/reward-default-choice.js";

const doc = JSON.parse(
  readFileSync(path.resolve(import.meta.dirname, "../../docs/bench-rewards.json"), "utf8"),
) as { rows: BenchRow[]; choice: { policy: string; verdicts: PolicyVerdict[] } };

const row = (policy: string, setting: string, over: Partial<BenchRow> = {}): BenchRow => ({
  setting,
  model: "2nn",
  nodes: 10,
  policy,
  spearman: { mean: 0.95, worst: 0.9 },
  kendall: { mean: 0.85, worst: 0.8 },
  share: { "free-rider": { paid: 0, shapley: 0 }, noisy: { paid: 0.01, shapley: 0.02 } },
  roundsGlobalLossFell: 3,
  roundsUnpaidWhileLossFell: 0,
  evaluationsPerRound: 11,
  msPerRound: 100,
  ...over,
});

describe("the default reward policy", () => {
  it("is the policy the rewards bench chose, and the bench covered every policy", () => {
    expect(DEFAULT_REWARD.policy).to.equal(doc.choice.policy);
    const benched = new Set(doc.rows.map((r) => r.policy));
    for (const id of POLICY_IDS) expect(benched.has(id), id).to.equal(true);
  });

  it("follows from the recorded figures by the stated rule", () => {
    const candidates = doc.choice.verdicts
      .map((v) => v.policy)
      .filter((p) => p !== "shapley-exact");
    expect(chooseDefault(doc.rows, candidates).policy).to.equal(doc.choice.policy);
  });

  it("is what a run gets when it names no policy", () => {
    const req = CreateRunRequest.parse({
      dataset: "synthetic",
      model: "2nn",
      partition: { kind: "iid" },
      numNodes: 4,
      fraction: 1,
      rounds: 1,
      localEpochs: 1,
      batchSize: 20,
      learningRate: 0.05,
      strategy: { name: "fedavg" },
      seed: 1,
    });
    expect(req.reward.policy).to.equal(DEFAULT_REWARD.policy);
  });

  it("fails a policy on each criterion it misses, and by how much", () => {
    const rows = [
      row("loss-improvement", "a"),
      row("loss-improvement", "b"),
      row("good", "a", { msPerRound: 250, spearman: { mean: 0.99, worst: 0.95 } }),
      row("good", "b", { msPerRound: 250, spearman: { mean: 0.98, worst: 0.93 } }),
      row("weak", "a", { spearman: { mean: 0.7, worst: 0.2 }, roundsUnpaidWhileLossFell: 2 }),
      row("weak", "b", {
        share: { "free-rider": { paid: 0.2, shapley: -0.01 }, noisy: { paid: 0, shapley: 0 } },
        msPerRound: 700,
      }),
    ];
    const weak = verdictOf(rows, "weak");
    expect(weak.meets).to.deep.equal({ spearman: false, pays: false, planted: false, cost: false });
    expect(weak.settingsBelowBar).to.deep.equal(["a"]);
    expect(weak.overpaid).to.deep.equal([
      { setting: "b", role: "free-rider", paid: 0.2, shapley: 0 },
    ]);
    expect(weak.costVsLossImprovement).to.equal(4);
    expect(verdictOf(rows, "good").met).to.equal(4);
    expect(chooseDefault(rows, ["weak", "good", "loss-improvement"]).policy).to.equal("good");
  });
});

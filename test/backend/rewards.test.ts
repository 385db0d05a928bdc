import { expect } from "chai";
import "../helpers/chai-near.js";
import { parseUnits } from "viem";
import { scoreContributions } from "../../backend/src/rewards/contribution-scorer.js";
import { fixedToLoss, lossToFixed } from "../../backend/src/rewards/fixed-point.js";
import {
  decodePolicy,
  encodePolicyParams,
  makePolicy,
  policyId,
  splitRewards,
} from "../../backend/src/rewards/reward-policy.js";

describe("rewards", () => {
  it("converts losses to 18-decimal fixed point exactly", () => {
    expect(lossToFixed(1)).to.equal(10n ** 18n);
    expect(lossToFixed(0.5)).to.equal(5n * 10n ** 17n);
    expect(lossToFixed(0)).to.equal(0n);
    expect(fixedToLoss(lossToFixed(2.302585))).to.be.near(2.302585, 1e-12);
    expect(() => lossToFixed(Number.NaN)).to.throw(/finite/);
  });

  it("splits the pool by sample-weighted, clipped loss drops", () => {
    const policy = makePolicy(
      { policy: "loss-improvement", poolPerRound: "100" },
      { validationSize: 1000, seed: 1 },
    );
    const one = 10n ** 18n;
    const rewards = splitRewards(policy, [
      { samples: 100, lossBefore: 2n * one, lossAfter: one }, // drop 1 x 100
      { samples: 300, lossBefore: 2n * one, lossAfter: (3n * one) / 2n }, // drop 0.5 x 300
      { samples: 500, lossBefore: 2n * one, lossAfter: 3n * one }, // worse: clipped to 0
    ]);
    expect(rewards[0]).to.equal(parseUnits("40", 18));
    expect(rewards[1]).to.equal(parseUnits("60", 18));
    expect(rewards[2]).to.equal(0n);
  });

  it("pays nothing when nobody improved the model", () => {
    const policy = makePolicy(
      { policy: "loss-improvement", poolPerRound: "100" },
      { validationSize: 1000, seed: 1 },
    );
    expect(splitRewards(policy, [{ samples: 5, lossBefore: 1n, lossAfter: 2n }])).to.deep.equal([
      0n,
    ]);
  });

  it("never pays more than the pool (floor division)", () => {
    const policy = makePolicy(
      { policy: "leave-one-out", poolPerRound: "1" },
      { validationSize: 1000, seed: 1 },
    );
    const items = [1n, 1n, 1n].map((d) => ({ samples: 1, lossBefore: d + 10n, lossAfter: 10n }));
    const total = splitRewards(policy, items).reduce((s, x) => s + x, 0n);
    expect(total <= parseUnits("1", 18)).to.equal(true);
  });

  it("round-trips the policy through its on-chain encoding", () => {
    const policy = makePolicy(
      { policy: "shapley-mc", poolPerRound: "2.5", permutations: 20 },
      { validationSize: 1000, seed: 7 },
    );
    expect(decodePolicy(policyId("shapley-mc"), encodePolicyParams(policy))).to.deep.equal(policy);
    expect(() =>
      decodePolicy(policyId("loss-improvement").replace("a", "b"), encodePolicyParams(policy)),
    ).to.throw(/unknown/);
  });

  // A toy "model": its validation loss is the squared distance of its weights to a target.
  const target = [1, 1];
  const evaluate = async (models: Float32Array[]) =>
    models.map((m) => m.reduce((s, x, i) => s + (x - target[i]!) ** 2, 0));
  const start = Float32Array.from([0, 0]);
  const updates = [
    { nodeId: "good", weights: Float32Array.from([1, 1]), numSamples: 10 },
    { nodeId: "half", weights: Float32Array.from([0.5, 0.5]), numSamples: 10 },
    { nodeId: "bad", weights: Float32Array.from([-1, -1]), numSamples: 10 },
  ];

  it("loss-improvement scores each update alone against the start model", async () => {
    const s = await scoreContributions({
      reward: { policy: "loss-improvement", poolPerRound: "100" },
      start,
      updates,
      evaluate,
      seed: 1,
    });
    expect(s.map((x) => x.lossBefore)).to.deep.equal([2, 2, 2]);
    expect(s.map((x) => x.lossAfter)).to.deep.equal([0, 0.5, 8]);
  });

  it("leave-one-out and Shapley rank the good node first and the bad one last", async () => {
    for (const policy of ["leave-one-out", "shapley-mc"] as const) {
      const s = await scoreContributions({
        reward:
          policy === "shapley-mc"
            ? { policy, poolPerRound: "100", permutations: 30 }
            : { policy, poolPerRound: "100" },
        start,
        updates,
        evaluate,
        seed: 3,
      });
      const value = s.map((x) => x.lossBefore - x.lossAfter);
      expect(value[0]!, policy).to.be.greaterThan(value[1]!);
      expect(value[1]!, policy).to.be.greaterThan(value[2]!);
    }
  });
});

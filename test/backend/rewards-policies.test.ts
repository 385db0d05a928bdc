// The Shapley-family and alignment policies on toy "models" whose validation loss is a known
// function of their weights, so every value can be checked by hand or by brute force.
import { expect } from "chai";
import "../helpers/chai-near.js";
import { CreateRunRequest } from "../../backend/src/domain/index.js";
import { scoreContributions } from "../../backend/src/rewards/contribution-scorer.js";
import { gtgErrorBound, gtgEstimate } from "../../backend/src/rewards/policies/gtg-shapley.js";
import { REWARD_POLICIES, RewardSpec } from "../../backend/src/rewards/policies/registry.js";
import {
  decodePolicy,
  encodePolicyParams,
  makePolicy,
  policyId,
} from "../../backend/src/rewards/reward-policy.js";
import { shapleyFromTable, SubsetGame } from "../../backend/src/rewards/subset-game.js";

// Loss = squared distance to a target, plus a cross term so subsets interact non-additively.
const target = [1, 2, -1];
const loss = (m: Float32Array) =>
  m.reduce((s, x, i) => s + (x - target[i]!) ** 2, 0) + 0.5 * Math.abs(m[0]! * m[1]!);
const start = Float32Array.from([0, 0, 0]);
const toyUpdates = [
  { nodeId: "good", weights: Float32Array.from([1, 2, -1]), numSamples: 10 },
  { nodeId: "partial", weights: Float32Array.from([0.5, 1, 0]), numSamples: 20 },
  { nodeId: "free-rider", weights: Float32Array.from([0, 0, 0]), numSamples: 10 },
  { nodeId: "harmful", weights: Float32Array.from([-2, -1, 3]), numSamples: 10 },
  { nodeId: "other", weights: Float32Array.from([1.5, 1, -2]), numSamples: 5 },
  { nodeId: "small", weights: Float32Array.from([0.8, 2.2, -0.5]), numSamples: 3 },
];

function counting() {
  const calls: number[] = [];
  const evaluate = async (models: Float32Array[]) => {
    calls.push(models.length);
    return models.map(loss);
  };
  return { calls, evaluate };
}

const values = (s: { lossBefore: number; lossAfter: number }[]) =>
  s.map((x) => x.lossBefore - x.lossAfter);

/** Shapley by brute force over all n! orders (independent of shapleyFromTable). */
function bruteShapley(updates: typeof toyUpdates): number[] {
  const game = new SubsetGame(start, updates, async (ms) => ms.map(loss));
  const v = (mask: number) => loss(start) - loss(game.aggregate(mask));
  const n = updates.length;
  const phi = new Array<number>(n).fill(0);
  let orders = 0;
  const walk = (prefix: number[], mask: number) => {
    if (prefix.length === n) {
      orders++;
      let m = 0;
      for (const i of prefix) {
        phi[i]! += v(m | (1 << i)) - v(m);
        m |= 1 << i;
      }
      return;
    }
    for (let i = 0; i < n; i++) if (!(mask & (1 << i))) walk([...prefix, i], mask | (1 << i));
  };
  walk([], 0);
  return phi.map((x) => x / orders);
}

describe("rewards: Shapley-family and alignment policies", () => {
  it("exact Shapley equals the brute-force average over all orders and is efficient", async () => {
    const { calls, evaluate } = counting();
    const s = await scoreContributions({
      reward: RewardSpec.parse({ policy: "shapley-exact" }),
      start,
      updates: toyUpdates,
      evaluate,
      seed: 1,
    });
    const phi = values(s);
    const brute = bruteShapley(toyUpdates);
    phi.forEach((x, i) => expect(x, toyUpdates[i]!.nodeId).to.be.near(brute[i]!, 1e-9));
    // Efficiency: the values add up to the whole round's loss drop.
    const game = new SubsetGame(start, toyUpdates, evaluate);
    const drop = loss(start) - loss(game.aggregate(game.full));
    expect(phi.reduce((a, b) => a + b, 0)).to.be.near(drop, 1e-9);
    // Every subset evaluated once, in batches (the engine takes many models at once).
    expect(calls.reduce((a, b) => a + b, 0)).to.equal(2 ** toyUpdates.length);
    expect(calls.length).to.be.lessThan(4);
    // The harmful update is worth less than nothing, the good one the most.
    expect(phi[3]!).to.be.lessThan(0);
    expect(Math.max(...phi)).to.equal(phi[0]);
  });

  it("shapleyFromTable is exact on an additive game", () => {
    const w = [3, -1, 0.5, 2];
    const table = Array.from({ length: 16 }, (_, m) =>
      w.reduce((s, x, i) => s + (m & (1 << i) ? x : 0), 0),
    );
    expect([...shapleyFromTable(table, 4)]).to.deep.equal(w);
  });

  it("exact Shapley refuses rounds of more than 12 updates, and so does run creation", async () => {
    const many = Array.from({ length: 13 }, (_, i) => ({ ...toyUpdates[0]!, nodeId: `n${i}` }));
    let error: unknown;
    await scoreContributions({
      reward: RewardSpec.parse({ policy: "shapley-exact" }),
      start,
      updates: many,
      evaluate: async (ms) => ms.map(loss),
      seed: 1,
    }).catch((e: unknown) => (error = e));
    expect(String(error)).to.match(/at most 12/);
    const req = {
      dataset: "synthetic",
      model: "2nn",
      partition: { kind: "iid" },
      numNodes: 20,
      fraction: 1,
      rounds: 1,
      localEpochs: 1,
      batchSize: 10,
      learningRate: 0.05,
      strategy: { name: "fedavg" },
      reward: { policy: "shapley-exact" },
    };
    const refused = CreateRunRequest.safeParse(req);
    expect(refused.success).to.equal(false);
    expect(JSON.stringify(refused.error?.issues)).to.match(/at most 12 nodes per round/);
    expect(CreateRunRequest.safeParse({ ...req, fraction: 0.6 }).success).to.equal(true);
  });

  it("GTG-Shapley lands within its stated error bound of exact Shapley, for fewer evaluations", async () => {
    const exact = bruteShapley(toyUpdates);
    const range = Math.max(...exact) - Math.min(...exact);
    const { calls, evaluate } = counting();
    // No truncation: the Hoeffding bound is then around the exact values themselves.
    const e = await gtgEstimate({
      start,
      updates: toyUpdates,
      aggregate: start,
      evaluate,
      params: { truncation: 0, convergence: 0.01, maxIterations: 50 },
      seed: 5,
    });
    const bound = gtgErrorBound(e, 0.01);
    e.phi.forEach((x, i) => {
      expect(Math.abs(x - exact[i]!), toyUpdates[i]!.nodeId).to.be.below(bound);
      // The bound is loose; the estimate is much closer than it.
      expect(Math.abs(x - exact[i]!), toyUpdates[i]!.nodeId).to.be.below(0.1 * range);
    });
    // The same order at the ends: the good node first, the harmful one last.
    expect(e.phi.indexOf(Math.max(...e.phi))).to.equal(0);
    expect(e.phi.indexOf(Math.min(...e.phi))).to.equal(3);
    // It reuses what it evaluated: never more models than there are subsets.
    expect(calls.reduce((a, b) => a + b, 0)).to.be.at.most(2 ** toyUpdates.length);
    // Through the registry, with its default truncation, it still ranks the ends right.
    const s = await scoreContributions({
      reward: RewardSpec.parse({ policy: "gtg-shapley" }),
      start,
      updates: toyUpdates,
      evaluate,
      seed: 5,
    });
    const phi = values(s);
    expect(phi.indexOf(Math.max(...phi))).to.equal(0);
    expect(phi.indexOf(Math.min(...phi))).to.equal(3);
  });

  it("GTG-Shapley's truncation skips the tail of a permutation once it is worth the whole round", async () => {
    const { calls, evaluate } = counting();
    const twins = [0, 1, 2, 3].map((k) => ({ ...toyUpdates[0]!, nodeId: `same-${k}` }));
    const s = await scoreContributions({
      reward: RewardSpec.parse({ policy: "gtg-shapley", truncation: 0.05, maxIterations: 3 }),
      start,
      updates: twins,
      evaluate,
      seed: 2,
    });
    // Any one of them already makes the full aggregate: only singletons and the full set are evaluated.
    expect(calls.reduce((a, b) => a + b, 0)).to.equal(2 + 4);
    const phi = values(s);
    const drop = loss(start) - loss(twins[0]!.weights);
    phi.forEach((x) => expect(x).to.be.near(drop / 4, 1e-9));
  });

  it("gradient alignment splits the round's drop by the cosine with the aggregate, clipped at 0", async () => {
    const { calls, evaluate } = counting();
    const updates = [
      { nodeId: "along", weights: Float32Array.from([1, 2, -1]), numSamples: 10 },
      { nodeId: "across", weights: Float32Array.from([2, -1, 0]), numSamples: 10 },
      { nodeId: "against", weights: Float32Array.from([-1, -2, 1]), numSamples: 1 },
    ];
    const aggregate = Float32Array.from([1, 2, -1]);
    const s = await scoreContributions({
      reward: RewardSpec.parse({ policy: "gradient-alignment" }),
      start,
      updates,
      aggregate,
      evaluate,
      seed: 1,
    });
    expect(calls).to.deep.equal([2]);
    const drop = loss(start) - loss(aggregate);
    const phi = values(s);
    expect(phi[0]).to.be.near(drop, 1e-12);
    expect(phi[1]).to.be.near(0, 1e-12);
    expect(phi[2]).to.equal(0);
    // When the aggregate raised the loss, nobody is paid (the pool carries over).
    const worse = await scoreContributions({
      reward: RewardSpec.parse({ policy: "gradient-alignment" }),
      start,
      updates,
      aggregate: Float32Array.from([-5, -5, 5]),
      evaluate,
      seed: 1,
    });
    expect(values(worse)).to.deep.equal([0, 0, 0]);
  });

  describe("shapley-quadratic", () => {
    // A loss that is exactly quadratic with an isotropic Hessian: the surrogate is then exact.
    const quadratic = (m: Float32Array) => m.reduce((s, x, i) => s + (x - target[i]!) ** 2, 0);
    const exactOf = async (updates: typeof toyUpdates, lossFn: (m: Float32Array) => number) => {
      const game = new SubsetGame(start, updates, async (ms) => ms.map(lossFn));
      const masks = Array.from({ length: 2 ** updates.length }, (_, m) => m);
      await game.losses(masks);
      return [
        ...shapleyFromTable(
          masks.map((m) => game.value(m)),
          updates.length,
        ),
      ];
    };
    const score = (updates: typeof toyUpdates, lossFn: (m: Float32Array) => number) => {
      const calls: number[] = [];
      const run = scoreContributions({
        reward: RewardSpec.parse({ policy: "shapley-quadratic" }),
        start,
        updates,
        evaluate: async (ms) => {
          calls.push(ms.length);
          return ms.map(lossFn);
        },
        seed: 4,
      });
      return run.then((s) => ({ phi: values(s), evaluations: calls.reduce((a, b) => a + b, 0) }));
    };

    it("is exact Shapley when the loss is quadratic, from 2n+2 evaluations", async () => {
      const { phi, evaluations } = await score(toyUpdates, quadratic);
      expect(evaluations).to.equal(2 * toyUpdates.length + 2);
      const exact = await exactOf(toyUpdates, quadratic);
      phi.forEach((x, i) => expect(x, toyUpdates[i]!.nodeId).to.be.near(exact[i]!, 1e-5));
    });

    it("is efficient and keeps the order of exact Shapley on a non-quadratic loss", async () => {
      const { phi } = await score(toyUpdates, loss);
      const exact = await exactOf(toyUpdates, loss);
      const game = new SubsetGame(start, toyUpdates, async (ms) => ms.map(loss));
      const drop = loss(start) - loss(game.aggregate(game.full));
      expect(phi.reduce((a, b) => a + b, 0)).to.be.near(drop, 1e-5);
      const rank = (xs: number[]) => xs.map((x) => xs.filter((y) => y < x).length);
      expect(rank(phi)).to.deep.equal(rank(exact));
    });

    it("samples the surrogate (no extra evaluations) above 14 updates", async () => {
      const many = Array.from({ length: 16 }, (_, k) => ({
        nodeId: `n${k}`,
        weights: Float32Array.from(target, (t, i) => t * (0.3 + 0.05 * k) + 0.4 * Math.sin(k + i)),
        numSamples: 5 + (k % 4) * 10,
      }));
      const { phi, evaluations } = await score(many, quadratic);
      expect(evaluations).to.equal(2 * 16 + 2);
      const exact = await exactOf(many, quadratic);
      const spread = Math.max(...exact) - Math.min(...exact);
      phi.forEach((x, i) => expect(Math.abs(x - exact[i]!), `n${i}`).to.be.below(0.05 * spread));
      expect(phi.reduce((a, b) => a + b, 0)).to.be.near(
        exact.reduce((a, b) => a + b, 0),
        1e-4,
      );
    });
  });

  it("every policy's parameters and the zero-score rule round-trip through the chain encoding", () => {
    for (const entry of REWARD_POLICIES) {
      const spec = RewardSpec.parse({ policy: entry.id, poolPerRound: "12.5" });
      const policy = makePolicy(spec, { validationSize: 1000, seed: 3 });
      expect(policy.zeroScoreRule).to.equal("carry-over");
      expect(Object.keys(policy.params)).to.deep.equal(Object.keys(entry.params));
      expect(decodePolicy(policyId(entry.id), encodePolicyParams(policy)), entry.id).to.deep.equal(
        policy,
      );
    }
    const gtg = makePolicy(
      RewardSpec.parse({
        policy: "gtg-shapley",
        truncation: 0.005,
        convergence: 0.1,
        maxIterations: 7,
      }),
      { validationSize: 500, seed: 1 },
    );
    expect(gtg.params).to.deep.equal({ truncation: 0.005, convergence: 0.1, maxIterations: 7 });
    expect(decodePolicy(policyId("gtg-shapley"), encodePolicyParams(gtg)).params).to.deep.equal(
      gtg.params,
    );
  });
});

import { expect } from "chai";
import "../helpers/chai-near.js";
import { createStrategy } from "../../backend/src/fl/strategies/registry.js";
import type { ClientUpdate } from "../../backend/src/fl/strategies/strategy.js";

const u = (nodeId: string, values: number[], numSamples = 1): ClientUpdate => ({
  nodeId,
  weights: Float32Array.from(values),
  numSamples,
});

const close = (a: Float32Array, b: number[], eps = 1e-6) => {
  expect(a.length).to.equal(b.length);
  a.forEach((x, i) => expect(x).to.be.near(b[i]!, eps));
};

describe("strategies", () => {
  const global = Float32Array.from([0, 0]);

  it("FedAvg weights by samples", () => {
    const s = createStrategy({ name: "fedavg" });
    close(s.aggregate(global, [u("a", [1, 2], 1), u("b", [4, 8], 3)]).weights, [3.25, 6.5]);
  });

  it("FedProx aggregates like FedAvg and asks nodes for the proximal term", () => {
    const s = createStrategy({ name: "fedprox", mu: 0.1 });
    expect(s.configureFit()).to.deep.equal({ proxMu: 0.1 });
    close(s.aggregate(global, [u("a", [2, 2]), u("b", [4, 4])]).weights, [3, 3]);
  });

  it("FedAvgM accumulates server momentum across rounds", () => {
    const s = createStrategy({ name: "fedavgm", serverLr: 1, momentum: 0.5 });
    const r1 = s.aggregate(global, [u("a", [1, 1])]).weights; // m = 1 -> w = 1
    close(r1, [1, 1]);
    const r2 = s.aggregate(r1, [u("a", [2, 2])]).weights; // delta 1, m = 0.5 + 1 = 1.5 -> w = 2.5
    close(r2, [2.5, 2.5]);
    const state = s.saveState()!;
    const restored = createStrategy({ name: "fedavgm", serverLr: 1, momentum: 0.5 });
    restored.loadState(state);
    close(restored.aggregate(r2, [u("a", [2.5, 2.5])]).weights, [2.5 + 0.75, 2.5 + 0.75]);
  });

  it("FedAdam, FedYogi and FedAdagrad step along the averaged update", () => {
    for (const name of ["fedadam", "fedyogi", "fedadagrad"] as const) {
      const s = createStrategy({ name, serverLr: 0.1, beta1: 0.9, beta2: 0.99, tau: 1e-3 });
      const w = s.aggregate(global, [u("a", [1, -1])]).weights;
      expect(w[0]!, name).to.be.greaterThan(0);
      expect(w[1]!, name).to.be.lessThan(0);
      expect(Math.abs(w[0]!), name).to.be.lessThan(1);
    }
  });

  const honest = [
    u("h1", [1, 1]),
    u("h2", [1.1, 0.9]),
    u("h3", [0.9, 1.1]),
    u("h4", [1.05, 1]),
    u("h5", [0.95, 1]),
  ];
  const attacker = u("evil", [-50, 80]);

  it("Krum picks an honest update and names the excluded ones", () => {
    const s = createStrategy({ name: "krum", f: 1, m: 1 });
    const r = s.aggregate(global, [...honest, attacker]);
    expect(Math.abs(r.weights[0]! - 1)).to.be.lessThan(0.2);
    expect(r.excluded.map((e) => e.nodeId)).to.include("evil");
    expect(r.excluded).to.have.length(5);
  });

  it("Multi-Krum averages the m best and leaves the attacker out", () => {
    const s = createStrategy({ name: "krum", f: 1, m: 4 });
    const r = s.aggregate(global, [...honest, attacker]);
    expect(r.excluded.map((e) => e.nodeId)).to.include("evil");
    expect(r.excluded).to.have.length(2);
    expect(Math.abs(r.weights[1]! - 1)).to.be.lessThan(0.1);
  });

  it("coordinate-wise median and trimmed mean ignore one outlier", () => {
    const med = createStrategy({ name: "median" }).aggregate(global, [...honest, attacker]).weights;
    close(med, [1, 1], 0.06);
    const tm = createStrategy({ name: "trimmed-mean", beta: 0.2 }).aggregate(global, [
      ...honest,
      attacker,
    ]).weights;
    close(tm, [1, 1], 0.06);
    // Without trimming the attacker drags the mean far away.
    const plain = createStrategy({ name: "trimmed-mean", beta: 0 }).aggregate(global, [
      ...honest,
      attacker,
    ]).weights;
    expect(Math.abs(plain[0]! - 1)).to.be.greaterThan(5);
  });
});

import { expect } from "chai";
import { labelHistogram, loadDataset, partition } from "../../backend/src/engine/index.js";

function checkDisjoint(parts: number[][], n: number): number {
  const seen = new Uint8Array(n);
  let total = 0;
  for (const p of parts)
    for (const i of p) {
      expect(seen[i], `index ${i} used twice`).to.equal(0);
      seen[i] = 1;
      total++;
    }
  return total;
}

describe("engine partitioners", () => {
  let labels: Uint8Array;
  before(async () => {
    labels = (await loadDataset("mnist")).train.y;
  });

  it("IID: equal sizes, disjoint, covers everything, reproducible", () => {
    const parts = partition(labels, 100, { kind: "iid" }, 42);
    expect(parts.map((p) => p.length)).to.deep.equal(new Array(100).fill(600));
    expect(checkDisjoint(parts, labels.length)).to.equal(60_000);
    expect(partition(labels, 100, { kind: "iid" }, 42)).to.deep.equal(parts);
    expect(partition(labels, 100, { kind: "iid" }, 43)[0]).to.not.deep.equal(parts[0]);
    // Roughly balanced labels on every node.
    const h = labelHistogram(labels, parts[0]!, 10);
    expect(h.reduce((a, b) => a + b, 0)).to.equal(600);
    expect(Math.min(...h)).to.be.greaterThan(20);
  });

  it("shards: the FedAvg paper's 200 shards of 300, 2 per node, at most 2 labels per shard pair", () => {
    const parts = partition(labels, 100, { kind: "shards", shardsPerNode: 2 }, 1);
    expect(parts.map((p) => p.length)).to.deep.equal(new Array(100).fill(600));
    expect(checkDisjoint(parts, labels.length)).to.equal(60_000);
    const labelsPerNode = parts.map((p) => labelHistogram(labels, p).filter((c) => c > 0).length);
    // A shard of sorted labels spans at most 2 classes, so a node sees at most 4, mostly 1-2.
    expect(Math.max(...labelsPerNode)).to.be.at.most(4);
    expect(labelsPerNode.filter((k) => k <= 2).length).to.be.greaterThan(80);
    expect(partition(labels, 100, { kind: "shards", shardsPerNode: 2 }, 1)).to.deep.equal(parts);
    expect(() =>
      partition(labels, 100, { kind: "shards", shardsPerNode: 2, shardSize: 400 }, 1),
    ).to.throw(/cannot cut 200 shards of 400/);
  });

  it("Dirichlet: disjoint, complete, seeded; small alpha skews labels, large alpha does not", () => {
    const skew = partition(labels, 20, { kind: "dirichlet", alpha: 0.1 }, 5);
    expect(checkDisjoint(skew, labels.length)).to.equal(60_000);
    expect(partition(labels, 20, { kind: "dirichlet", alpha: 0.1 }, 5)).to.deep.equal(skew);
    const flat = partition(labels, 20, { kind: "dirichlet", alpha: 1000 }, 5);
    const dominant = (parts: number[][]) =>
      parts.reduce((s, p) => {
        const h = labelHistogram(labels, p);
        return s + Math.max(...h) / p.length;
      }, 0) / parts.length;
    expect(dominant(skew)).to.be.greaterThan(0.5);
    expect(dominant(flat)).to.be.lessThan(0.2);
    for (const p of skew) expect(p.length).to.be.greaterThan(0);
  });

  it("labelHistogram counts labels of the given indices", () => {
    expect(labelHistogram(Uint8Array.from([0, 1, 1, 2, 9]), [1, 2, 4], 10)).to.deep.equal([
      0, 2, 0, 0, 0, 0, 0, 0, 0, 1,
    ]);
  });
});

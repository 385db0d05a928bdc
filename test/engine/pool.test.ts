import { expect } from "chai";
import "../helpers/chai-near.js";
import { combinePartials } from "../../backend/src/engine/eval-partials.js";
import {
  EvaluationCache,
  TrainingPool,
  initialWeights,
  parameterCount,
  partition,
  loadDataset,
  type TrainProgress,
} from "../../backend/src/engine/index.js";

describe("engine TrainingPool (worker_threads)", function () {
  this.timeout(120_000);
  let pool: TrainingPool;

  before(async () => {
    pool = new TrainingPool({ workers: 2 });
    const info = await pool.start({ name: "synthetic", seed: 3 });
    expect(info.backend).to.be.oneOf(["tensorflow", "wasm"]);
  });
  after(async () => {
    await pool.close();
  });

  it("trains more simulated nodes than workers and improves validation accuracy", async () => {
    const ds = await loadDataset("synthetic", { seed: 3 });
    const parts = partition(ds.train.y, 5, { kind: "iid" }, 1);
    const w0 = initialWeights("2nn", 1);
    const progress: TrainProgress[] = [];
    const results = await Promise.all(
      parts.map((indices, k) =>
        pool.train({
          model: "2nn",
          weights: w0,
          indices,
          epochs: 2,
          batchSize: 10,
          learningRate: 0.05,
          seed: k,
          onProgress: k === 0 ? (p) => progress.push(p) : undefined,
        }),
      ),
    );
    // The caller's weights were copied, not detached.
    expect(w0.length).to.equal(parameterCount("2nn"));
    for (const [k, r] of results.entries()) {
      expect(r.weights.length).to.equal(parameterCount("2nn"));
      expect(r.numSamples).to.equal(parts[k]!.length);
      expect(r.trainLoss).to.be.greaterThan(0).and.lessThan(2.3);
    }
    expect(progress.at(-1)).to.include({ epoch: 1, batch: 40, batches: 40 });
    const [before, ...after] = await pool.evaluateMany(
      "2nn",
      [w0, ...results.map((r) => r.weights)],
      "validation",
    );
    expect(before!.n).to.equal(1000);
    for (const a of after) expect(a.accuracy).to.be.greaterThan(before!.accuracy + 0.3);
    const one = await pool.evaluate({
      model: "2nn",
      weights: results[0]!.weights,
      split: "validation",
    });
    expect(one.accuracy).to.be.near(after[0]!.accuracy, 1e-9);
    const sub = await pool.evaluate({ model: "2nn", weights: w0, split: { indices: [0, 1, 2] } });
    expect(sub.n).to.equal(3);
  });

  it("trains the FedAvg CNN (wasm training kernels) and its loss falls", async () => {
    const w0 = initialWeights("cnn", 1);
    const base = {
      model: "cnn" as const,
      indices: Array.from({ length: 64 }, (_, i) => i),
      batchSize: 16,
      learningRate: 0.05,
      seed: 1,
    };
    const one = await pool.train({ ...base, weights: w0, epochs: 1 });
    const more = await pool.train({ ...base, weights: one.weights, epochs: 3 });
    expect(more.trainLoss).to.be.lessThan(one.trainLoss);
    expect(one.weights.every(Number.isFinite)).to.equal(true);
  });

  it("one model is evaluated by both workers, half the batches each, with the same result bit for bit", async () => {
    for (const model of ["2nn", "cnn"] as const) {
      const w = initialWeights(model, 5);
      const other = initialWeights(model, 6);
      for (const split of ["validation", "test"] as const) {
        // Alone: its batches are shared between the 2 workers; with another model: each model
        // is evaluated whole by one worker. The audit re-derives losses exactly, so they must
        // not depend on that.
        const before = { ...pool.evaluationJobs };
        const [shared] = await pool.evaluateMany(model, [w], split);
        // It really ran as 2 shares (an equal result alone would also hold unsplit).
        expect(pool.evaluationJobs.jobs - before.jobs).to.equal(2);
        expect(pool.evaluationJobs.shares - before.shares).to.equal(2);
        const [whole] = await pool.evaluateMany(model, [w, other], split);
        expect(pool.evaluationJobs.jobs - before.jobs, "one whole job per model").to.equal(4);
        expect(pool.evaluationJobs.shares - before.shares).to.equal(2);
        expect(shared).to.deep.equal(whole);
        expect(shared!.n).to.equal(split === "validation" ? 1000 : whole!.n);
      }
      // A prefix of a split, and train-set indices (not a multiple of a batch).
      const indices = Array.from({ length: 517 }, (_, i) => (i * 7) % 2000);
      for (const [split, opts] of [
        ["validation", { limit: 333 }],
        [{ indices }, {}],
      ] as const) {
        const [shared] = await pool.evaluateMany(model, [w], split, opts);
        const [whole] = await pool.evaluateMany(model, [w, other], split, opts);
        expect(shared).to.deep.equal(whole);
      }
    }
  });

  it("shares that do not tile the split are refused, not summed", () => {
    const part = { lossSums: [1], correct: 1, n: 64 };
    expect(
      combinePartials([
        { ...part, from: 0, to: 32 },
        { ...part, from: 32, to: 64 },
      ]),
    ).to.deep.equal({ loss: 2 / 64, accuracy: 2 / 64, n: 64 });
    expect(() =>
      combinePartials([
        { ...part, from: 0, to: 32 },
        { ...part, from: 0, to: 64 },
      ]),
    ).to.throw(/do not tile/);
    expect(() => combinePartials([{ ...part, from: 0, to: 32 }])).to.throw(/cover 32 of 64/);
  });

  it("evaluation cache: a model's bytes are evaluated once per split, whatever array holds them", async () => {
    const w0 = initialWeights("2nn", 1);
    const w1 = initialWeights("2nn", 2);
    const fresh = await pool.evaluateMany("2nn", [w0, w1], "validation");
    const cache = new EvaluationCache(pool);
    // Duplicates inside one call reach the workers once, results in the caller's order.
    const first = await cache.evaluateMany("2nn", [w0, w1, w0], "validation");
    expect(first).to.deep.equal([fresh[0], fresh[1], fresh[0]]);
    expect(cache.stats).to.deep.equal({ requested: 3, evaluated: 2 });
    // Equal bytes in another array: a hit. The other split: a miss.
    expect(await cache.evaluate("2nn", Float32Array.from(w1), "validation")).to.deep.equal(
      fresh[1],
    );
    expect(cache.stats.evaluated).to.equal(2);
    const test = await cache.evaluate("2nn", w0, "test");
    expect(cache.stats.evaluated).to.equal(3);
    expect(test).to.deep.equal(await pool.evaluate({ model: "2nn", weights: w0, split: "test" }));
    // An array changed in place after it was evaluated is evaluated again (the key is the bytes,
    // not the array: a cache keyed by identity would return the old model's loss here).
    w0.fill(0, 0, 784 * 200);
    const changed = await cache.evaluate("2nn", w0, "validation");
    expect(cache.stats.evaluated).to.equal(4);
    expect(changed).to.deep.equal(
      await pool.evaluate({ model: "2nn", weights: w0, split: "validation" }),
    );
    expect(changed.loss).to.not.equal(fresh[0]!.loss);
    // Returned results are copies: a caller that edits one cannot change the next hit.
    changed.loss = -1;
    expect((await cache.evaluate("2nn", w0, "validation")).loss).to.not.equal(-1);
  });

  it("is reproducible: same task and seed give the same weights", async () => {
    const task = {
      model: "logreg" as const,
      weights: initialWeights("logreg", 2),
      indices: Array.from({ length: 200 }, (_, i) => i),
      epochs: 1,
      batchSize: 16,
      learningRate: 0.1,
      seed: 9,
    };
    const [a, b] = await Promise.all([pool.train(task), pool.train(task)]);
    expect(a!.weights).to.deep.equal(b!.weights);
  });

  it("FedProx: a large proximal term keeps the weights near the start", async () => {
    const base = {
      model: "logreg" as const,
      weights: initialWeights("logreg", 2),
      indices: Array.from({ length: 300 }, (_, i) => i),
      epochs: 2,
      batchSize: 10,
      learningRate: 0.05,
      seed: 1,
    };
    const dist = (w: Float32Array) => Math.hypot(...w.map((v, i) => v - base.weights[i]!));
    const free = await pool.train(base);
    const prox = await pool.train({ ...base, proxMu: 5 });
    expect(dist(prox.weights)).to.be.lessThan(dist(free.weights) * 0.6);
  });

  it("rejects a bad task with a clear message and keeps working", async () => {
    let err: unknown;
    try {
      await pool.train({
        model: "2nn",
        weights: initialWeights("2nn", 1),
        indices: [0, 1, 10_000_000],
        epochs: 1,
        batchSize: 2,
        learningRate: 0.1,
        seed: 1,
      });
    } catch (e) {
      err = e;
    }
    expect(String(err)).to.match(/train 2nn failed in worker: sample index 10000000 out of range/);
    err = undefined;
    try {
      await pool.train({
        model: "cnn",
        weights: new Float32Array(3),
        indices: [0],
        epochs: 1,
        batchSize: 1,
        learningRate: 0.1,
        seed: 1,
      });
    } catch (e) {
      err = e;
    }
    expect(String(err)).to.match(/must have 1663370 values, got 3/);
  });

  it("replaces a crashed worker and rejects the task it was running", async () => {
    let err: unknown;
    try {
      await pool.crashOneWorker();
    } catch (e) {
      err = e;
    }
    expect(String(err)).to.match(/training worker crashed/);
    const r = await pool.train({
      model: "logreg",
      weights: initialWeights("logreg", 1),
      indices: [1, 2, 3, 4],
      epochs: 1,
      batchSize: 2,
      learningRate: 0.1,
      seed: 1,
    });
    expect(r.numSamples).to.equal(4);
    // Both workers are back.
    expect(await pool.memory()).to.have.length(2);
  });

  it("leaks no tensors: tf.memory() flat across 50 FL rounds", async () => {
    const ds = await loadDataset("synthetic", { seed: 3 });
    const parts = partition(ds.train.y, 4, { kind: "dirichlet", alpha: 0.5 }, 2);
    let global = initialWeights("2nn", 5);
    let baseline: { numTensors: number; numBytes: number }[] | null = null;
    for (let round = 0; round < 50; round++) {
      const updates = await Promise.all(
        parts.map((p, k) =>
          pool.train({
            model: "2nn",
            weights: global,
            indices: p.slice(0, 40),
            epochs: 1,
            batchSize: 10,
            learningRate: 0.05,
            seed: round * 10 + k,
            proxMu: round % 2 ? 0.01 : undefined,
          }),
        ),
      );
      const next = new Float32Array(global.length);
      for (const u of updates)
        for (let i = 0; i < next.length; i++) next[i]! += u.weights[i]! / updates.length;
      global = next;
      await pool.evaluateMany("2nn", [global, ...updates.map((u) => u.weights)], "validation");
      if (round === 0) baseline = await pool.memory();
    }
    const end = await pool.memory();
    expect(end).to.deep.equal(baseline);
  });
});

describe("engine TrainingPool start errors", () => {
  it("rejects start() with a clear message when the dataset cannot load", async function () {
    this.timeout(60_000);
    const pool = new TrainingPool({ workers: 1 });
    let err: unknown;
    try {
      await pool.start({ name: "nope" as "mnist" });
    } catch (e) {
      err = e;
    }
    expect(String(err)).to.match(/training worker failed: Unknown dataset "nope"/);
  });
});

describe("engine TrainingPool on the tfjs path: one model split across workers", function () {
  this.timeout(120_000);
  it("gives the same loss as one worker, bit for bit (batches of 500)", async () => {
    const before = process.env.FEDLEDGER_ENGINE_KERNELS;
    process.env.FEDLEDGER_ENGINE_KERNELS = "tfjs";
    const pool = new TrainingPool({ workers: 2, backend: "wasm" });
    try {
      const info = await pool.start({ name: "synthetic", seed: 3 });
      expect(info.trainingKernels).to.equal("tfjs");
      const w = initialWeights("2nn", 5);
      for (const split of ["validation", "test"] as const) {
        const [shared] = await pool.evaluateMany("2nn", [w], split);
        const [whole] = await pool.evaluateMany("2nn", [w, initialWeights("2nn", 6)], split);
        expect(shared).to.deep.equal(whole);
      }
    } finally {
      await pool.close();
      if (before === undefined) delete process.env.FEDLEDGER_ENGINE_KERNELS;
      else process.env.FEDLEDGER_ENGINE_KERNELS = before;
    }
  });
});

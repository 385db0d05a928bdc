// The model registry (issue 16) on a real chain and engine: every round's model kept as a version
// under the hash the chain records, served raw and as a TF.js LayersModel that predicts exactly
// like the engine, evaluated with a confusion matrix, thinned by retention, and the start of new
// runs (warm start), with stopAtAccuracy and automatic rollback.
import { expect } from "chai";
import * as tf from "@tensorflow/tfjs";
import type { RoundRecord, RunSummary } from "../../backend/src/domain/index.js";
import { forward, loadDataset, unflattenWeights } from "../../backend/src/engine/index.js";
import { finishedRun, startCoordinatorStack } from "../helpers/coordinator-stack.js";
import { api } from "../helpers/http.js";

interface Version {
  round: number;
  hash: string;
  testAccuracy: number | null;
  stored: boolean;
  best: boolean;
  txHash: string | null;
}

const base = {
  dataset: "synthetic",
  model: "2nn",
  partition: { kind: "iid" },
  numNodes: 3,
  fraction: 1,
  rounds: 4,
  localEpochs: 1,
  batchSize: 32,
  learningRate: 0.1,
  strategy: { name: "fedavg" },
};

describe("model registry (real chain, real engine)", function () {
  this.timeout(300_000);
  let stack: Awaited<ReturnType<typeof startCoordinatorStack>>;
  let url: string;

  before(async () => {
    stack = await startCoordinatorStack({ dataDirPrefix: "fl-models-", workers: 1 });
    url = stack.server.url;
  });

  after(async () => {
    await stack?.server.close();
    await stack?.coord.close();
    await stack?.chain.stop();
  });

  const versions = async (id: string) =>
    (await api<Version[]>(url, "GET", `/api/runs/${id}/models`)).body;

  it("keeps every round's model under its on-chain hash, served raw and as TF.js that predicts like the engine", async () => {
    const created = await api<RunSummary>(url, "POST", "/api/runs", base);
    const { rounds } = await finishedRun(url, created.body.id);
    const vs = await versions(created.body.id);
    expect(vs.map((v) => v.round)).to.deep.equal([0, 1, 2, 3, 4]);
    for (const r of rounds) {
      const v = vs.find((x) => x.round === r.round)!;
      expect(v.hash).to.equal(r.modelHash);
      expect(v.txHash).to.equal(r.txHash);
      expect(v.stored).to.equal(true);
    }
    const raw = await fetch(`${url}/api/models/${vs[4]!.hash}`);
    expect(raw.headers.get("etag")).to.equal(`"${vs[4]!.hash}"`);
    const weights = new Float32Array(await raw.arrayBuffer());
    expect(weights.length).to.equal(199_210);
    const range = await fetch(`${url}/api/models/${vs[4]!.hash}`, {
      headers: { range: "bytes=0-7" },
    });
    expect(range.status).to.equal(206);
    expect(new Float32Array(await range.arrayBuffer())).to.deep.equal(weights.subarray(0, 2));

    // tf.loadLayersModel straight from the coordinator, and the engine's forward pass.
    const model = await tf.loadLayersModel(
      `${url}/api/runs/${created.body.id}/models/last/tfjs/model.json`,
    );
    const test = (await loadDataset("synthetic", { seed: 1 })).test;
    const x = tf.tensor4d(test.x.subarray(0, 100 * 784), [100, 28, 28, 1]);
    const exported = (model.predict(x) as tf.Tensor).dataSync();
    const params = unflattenWeights("2nn", weights);
    const engine = forward("2nn", params, x).dataSync();
    let maxDiff = 0;
    for (let i = 0; i < engine.length; i++)
      maxDiff = Math.max(maxDiff, Math.abs(engine[i]! - exported[i]!));
    expect(maxDiff).to.be.lessThan(1e-5);
    tf.dispose([x, ...params]);
    model.dispose();

    const evaluation = await api<{
      accuracy: number;
      confusion: number[][];
      perClassAccuracy: number[];
    }>(url, "GET", `/api/runs/${created.body.id}/models/best/evaluation`);
    expect(evaluation.status).to.equal(200);
    const total = evaluation.body.confusion.flat().reduce((a, b) => a + b, 0);
    const correct = evaluation.body.confusion.reduce((s, row, i) => s + row[i]!, 0);
    expect(evaluation.body.accuracy).to.be.closeTo(correct / total, 1e-12);
    expect(evaluation.body.perClassAccuracy).to.have.length(10);
  });

  it("thins versions by retention, keeping the best and the latest", async () => {
    const created = await api<RunSummary>(url, "POST", "/api/runs", {
      ...base,
      // Another seed: the same config and seed would train the very same models as the first
      // run, whose references keep those bytes (the store is content-addressed).
      seed: 2,
      rounds: 5,
      retention: {
        models: { keep: "best-and-last", last: 1 },
        updates: { keep: "last", rounds: 1 },
      },
    });
    await finishedRun(url, created.body.id);
    const vs = await versions(created.body.id);
    const stored = vs.filter((v) => v.stored).map((v) => v.round);
    const best = vs.find((v) => v.best)!.round;
    expect(stored).to.include.members([0, 5, best]);
    expect(stored.length).to.be.at.most(3);
    const pruned = vs.find((v) => !v.stored)!;
    const gone = await fetch(`${url}/api/models/${pruned.hash}`);
    expect(gone.status).to.equal(410);
  });

  it("starts a new run from a stored version, stops at a target accuracy, and rolls back a bad round", async () => {
    const first = await api<RunSummary>(url, "POST", "/api/runs", base);
    await finishedRun(url, first.body.id);
    const best = (await versions(first.body.id)).find((v) => v.best)!;
    const warm = await api<RunSummary>(url, "POST", "/api/runs", {
      ...base,
      rounds: 10,
      initialModel: { run: first.body.id, round: "best" },
      stopAtAccuracy: 0.5,
    });
    expect(warm.status, JSON.stringify(warm.body)).to.equal(201);
    expect(warm.body.config.initialModel).to.deep.include({ hash: best.hash });
    const done = await finishedRun(url, warm.body.id);
    // It starts where the other run was best, so it reaches 50% at once and stops there.
    expect(done.rounds.length).to.be.lessThan(10);
    expect((await versions(warm.body.id))[0]!.hash).to.equal(best.hash);

    // A learning rate that blows the model up after it learned: the next round rolls back.
    const rolling = await api<RunSummary>(url, "POST", "/api/runs", {
      ...base,
      rounds: 3,
      learningRate: 10,
      initialModel: { hash: best.hash },
      rollbackDropPoints: 5,
    });
    await finishedRun(url, rolling.body.id);
    const refs = (
      await api<{ round: number; kind: string; hash: string }[]>(
        url,
        "GET",
        `/api/runs/${rolling.body.id}/artifacts`,
      )
    ).body;
    const rounds = (await api<RoundRecord[]>(url, "GET", `/api/runs/${rolling.body.id}/rounds`))
      .body;
    // Round 1 blew up (far below the start model's accuracy), so round 2 started from the start.
    expect(rounds[0]!.testAccuracy!).to.be.lessThan(best.testAccuracy! - 0.05);
    const start2 = refs.find((r) => r.round === 2 && r.kind === "start")!;
    expect(start2.hash).to.equal(best.hash);
    expect(start2.hash).to.not.equal(rounds[0]!.modelHash);
    const missing = await api<{ error: { code: string } }>(url, "POST", "/api/runs", {
      ...base,
      initialModel: { hash: `0x${"ab".repeat(32)}` },
    });
    expect(missing.status).to.equal(400);
    expect(missing.body.error.code).to.equal("initial_model_not_found");
  });
});

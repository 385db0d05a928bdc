// Runs in a worker thread (version-evaluation.ts): evaluates one model version on a dataset's test
// split with the engine's own forward pass, off the coordinator's event loop. Reports loss,
// accuracy, per-class accuracy and the confusion matrix.
import { parentPort, workerData } from "node:worker_threads";
import * as tf from "@tensorflow/tfjs";
import {
  loadDataset,
  resolveModel,
  selectBackend,
  unflattenWeights,
  type DatasetSpec,
  type ModelRef,
} from "../engine/index.js";

interface Job {
  dataset: DatasetSpec;
  model: ModelRef;
  weights: Float32Array;
  batchSize: number;
}

async function evaluate(job: Job) {
  await selectBackend();
  const ds = await loadDataset(job.dataset.name, job.dataset);
  const test = ds.test;
  const k = ds.numClasses;
  const model = resolveModel(job.model);
  const d = model.sampleSize;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const params = unflattenWeights(job.model, job.weights);
  let lossSum = 0;
  try {
    for (let s = 0; s < test.n; s += job.batchSize) {
      const m = Math.min(job.batchSize, test.n - s);
      const [loss, predicted] = tf.tidy(() => {
        const x = tf.tensor2d(test.x.subarray(s * d, (s + m) * d), [m, d]);
        const y = tf.tensor1d(Int32Array.from(test.y.subarray(s, s + m)), "int32");
        const logits = model.forward(params, x);
        const ce = tf.losses.softmaxCrossEntropy(
          tf.oneHot(y, k),
          logits,
          undefined,
          undefined,
          tf.Reduction.SUM,
        );
        return [ce.dataSync()[0]!, tf.argMax(logits, 1).dataSync() as Int32Array] as const;
      });
      lossSum += loss;
      for (let i = 0; i < m; i++) confusion[test.y[s + i]!]![predicted[i]!]! += 1;
    }
  } finally {
    for (const p of params) p.dispose();
  }
  const correct = confusion.reduce((sum, row, c) => sum + row[c]!, 0);
  return {
    samples: test.n,
    loss: lossSum / test.n,
    accuracy: correct / test.n,
    perClassAccuracy: confusion.map((row, c) => {
      const n = row.reduce((a, b) => a + b, 0);
      return n ? row[c]! / n : null;
    }),
    /** confusion[true class][predicted class]. */
    confusion,
  };
}

evaluate(workerData as Job).then(
  (result) => parentPort!.postMessage({ ok: true, result }),
  (err: unknown) => parentPort!.postMessage({ ok: false, error: (err as Error).message }),
);

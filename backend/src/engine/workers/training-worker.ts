/**
 * A training worker thread: loads the dataset once (from the package files), selects the
 * backend, then trains / evaluates on request. Weights arrive and leave as transferred
 * Float32Array buffers.
 */
import * as tf from "@tensorflow/tfjs";
import { parentPort, workerData } from "node:worker_threads";
import { selectBackend } from "../backend/select-backend.js";
import { gatherSplit, loadDataset } from "../datasets/index.js";
import type { Dataset } from "../datasets/types.js";
import { EvalSet, evaluatePartials, trainLocal } from "../trainer.js";
import type { FromWorker, ToWorker, WorkerInit } from "./protocol.js";

const port = parentPort!;
const init = workerData as WorkerInit;

function send(msg: FromWorker, transfer: ArrayBuffer[] = []): void {
  port.postMessage(msg, transfer);
}

/** Uploaded test / validation splits (kept: scoring evaluates them many times). */
const evalSets = new Map<string, EvalSet>();

function evalSetFor(ds: Dataset, split: "test" | "validation", limit?: number): EvalSet {
  const key = `${split}:${limit ?? ""}`;
  let s = evalSets.get(key);
  if (!s) {
    const base = ds[split];
    s = new EvalSet(
      limit !== undefined && limit < base.n
        ? gatherSplit(
            base,
            Array.from({ length: limit }, (_, i) => i),
          )
        : base,
    );
    evalSets.set(key, s);
  }
  return s;
}

async function main(): Promise<void> {
  const info = await selectBackend(init.backend);
  const ds = await loadDataset(init.dataset.name, init.dataset);
  port.on("message", (msg: ToWorker) => {
    try {
      switch (msg.type) {
        case "train": {
          const r = trainLocal(ds.train, {
            model: msg.model,
            weights: msg.weights,
            indices: msg.indices,
            epochs: msg.epochs,
            batchSize: msg.batchSize,
            learningRate: msg.learningRate,
            seed: msg.seed,
            proxMu: msg.proxMu,
            onProgress: msg.progress
              ? (progress) => send({ type: "progress", id: msg.id, progress })
              : undefined,
          });
          send({ type: "trained", id: msg.id, ...r }, [r.weights.buffer as ArrayBuffer]);
          break;
        }
        case "evaluate": {
          const part = msg.part ?? { index: 0, of: 1 };
          let partials;
          if (typeof msg.split === "string") {
            const set = evalSetFor(ds, msg.split, msg.limit);
            partials = evaluatePartials(msg.model, msg.weights, set, part);
          } else {
            const idx =
              msg.limit !== undefined
                ? msg.split.indices.subarray(0, msg.limit)
                : msg.split.indices;
            const set = new EvalSet(gatherSplit(ds.train, idx));
            try {
              partials = evaluatePartials(msg.model, msg.weights, set, part);
            } finally {
              set.dispose();
            }
          }
          send({ type: "evaluated", id: msg.id, partials });
          break;
        }
        case "memory": {
          const m = tf.memory();
          send({ type: "memory", id: msg.id, numTensors: m.numTensors, numBytes: m.numBytes });
          break;
        }
        case "crash":
          // Test hook: simulates a fatal failure of the worker thread.
          setImmediate(() => {
            throw new Error("simulated worker crash");
          });
          break;
      }
    } catch (err) {
      send({
        type: "error",
        id: msg.id,
        message: err instanceof Error ? err.message : String(err),
      });
    }
  });
  send({ type: "ready", info, trainSize: ds.train.n });
}

main().catch((err: unknown) => {
  send({ type: "fatal", message: err instanceof Error ? err.message : String(err) });
  process.exit(1);
});

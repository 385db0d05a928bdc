// Evaluating a model version on its run's test split: per-class accuracy and the confusion matrix
// beside loss and accuracy, computed once per version in a worker thread and cached in the store.
import { Worker } from "node:worker_threads";
import type { Hex } from "viem";
import { z } from "zod";
import { ownDataSpecOf, runModelRef, type RunConfig } from "../domain/index.js";
import { DEFAULT_DATA_ROOT, ownDataFiles } from "../data-root/own-data-files.js";
import type { SqlExecutor } from "../store/sql-database.js";
import type { ArtifactStore } from "./artifact-store.js";

export const VersionEvaluation = z.object({
  hash: z.string(),
  samples: z.number().int(),
  loss: z.number(),
  accuracy: z.number(),
  perClassAccuracy: z.array(z.number().nullable()),
  /** confusion[true class][predicted class], counts over the test split. */
  confusion: z.array(z.array(z.number().int())),
});
export type VersionEvaluation = z.infer<typeof VersionEvaluation>;

/** Runs the evaluation worker (TypeScript sources need tsx registered in the worker too). */
function inWorker(job: { dataset: unknown; model: unknown; weights: Float32Array; batchSize: number }) {
  const here = import.meta.url;
  const ts = here.endsWith(".ts");
  const url = new URL(`./evaluation-worker${ts ? ".ts" : ".js"}`, here).href;
  const register = ts
    ? `const api = await import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))}); api.register();`
    : "";
  const code = `(async () => { ${register} await import(${JSON.stringify(url)}); })().catch((e) => require("node:worker_threads").parentPort.postMessage({ ok: false, error: String(e && e.stack || e) }));`;
  return new Promise<Omit<VersionEvaluation, "hash">>((resolve, reject) => {
    const worker = new Worker(code, { eval: true, workerData: job, env: { ...process.env, FEDLEDGER_ENGINE_QUIET: "1" } });
    worker.once("message", (m: { ok: boolean; result?: Omit<VersionEvaluation, "hash">; error?: string }) => {
      void worker.terminate();
      if (m.ok && m.result) resolve(m.result);
      else reject(new Error(m.error ?? "evaluation failed"));
    });
    worker.once("error", reject);
  });
}

/** The version's evaluation on the run's test split: cached, or computed now. */
export async function evaluateVersion(
  db: SqlExecutor,
  store: ArtifactStore,
  runId: string,
  config: RunConfig,
  hash: Hex,
  dataRoot = DEFAULT_DATA_ROOT,
): Promise<VersionEvaluation> {
  const [cached] = await db.query<{ result: string }>(
    "SELECT result FROM model_evaluations WHERE run_id = $1 AND hash = $2",
    [runId, hash],
  );
  if (cached) return VersionEvaluation.parse(JSON.parse(cached.result));
  const bytes = await store.read(hash);
  const result = await inWorker({
    dataset:
      config.dataset === "own" && config.data
        ? {
            name: "own",
            own: {
              spec: ownDataSpecOf(config.data),
              files: await ownDataFiles(config.data, dataRoot),
            },
          }
        : { name: config.dataset, seed: 1 },
    model: runModelRef(config),
    weights: new Float32Array(bytes.slice().buffer),
    batchSize: 500,
  });
  const evaluation: VersionEvaluation = { hash, ...result };
  await db.execute(
    `INSERT INTO model_evaluations (run_id, hash, result, created_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (run_id, hash) DO NOTHING`,
    [runId, hash, JSON.stringify(evaluation), Date.now()],
  );
  return evaluation;
}

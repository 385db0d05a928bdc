/**
 * `npm run bench:train`: local-training throughput of the engine actually in use, printed as
 * JSON. For the FedAvg paper's CNN and 2NN at B=10 and B=32 it measures samples/s with one
 * worker per core (all workers busy, as during a round) and with a single worker, after a
 * warm-up, over a fixed wall-clock budget per case.
 *
 * Reference on this machine kind (TOOLCHAIN.md): PyTorch 1.13, 2 threads: CNN ~300 samples/s,
 * 2NN ~3,300 samples/s.
 *
 * Options (env): BENCH_SECONDS (per case, default 6), BENCH_WORKERS (default: cores),
 * BENCH_MODELS (default "cnn,2nn"), BENCH_BATCHES (default "10,32").
 */
import os from "node:os";
import { TrainingPool, initialWeights, type ModelKind } from "../backend/src/engine/index.js";

const PYTORCH_REFERENCE = { cnn: 300, "2nn": 3300 } as const;
const seconds = Number(process.env.BENCH_SECONDS ?? 6);
const cores = os.availableParallelism();
const multi = Number(process.env.BENCH_WORKERS ?? cores);
const models = (process.env.BENCH_MODELS ?? "cnn,2nn").split(",") as ModelKind[];
const batches = (process.env.BENCH_BATCHES ?? "10,32").split(",").map(Number);

process.env.FEDLEDGER_ENGINE_QUIET ??= "1";

/** Samples per task: a few seconds of work for one worker, so queueing overhead is negligible. */
function taskSamples(model: ModelKind, batchSize: number): number {
  const perSecond = model === "cnn" ? 150 : 2000;
  return Math.max(batchSize * 4, Math.round((perSecond * 1.5) / batchSize) * batchSize);
}

async function measure(
  pool: TrainingPool,
  model: ModelKind,
  batchSize: number,
): Promise<{ samplesPerSec: number; samples: number; seconds: number }> {
  const weights = initialWeights(model, 1);
  const n = taskSamples(model, batchSize);
  const trainN = pool.trainSamples;
  const task = (k: number) => ({
    model,
    weights,
    indices: Array.from({ length: n }, (_, i) => (k * n + i) % trainN),
    epochs: 1,
    batchSize,
    learningRate: 0.01,
    seed: k,
  });
  // Warm-up: every worker runs one short task (JIT, XNNPACK operator creation, wasm memory growth).
  await Promise.all(
    Array.from({ length: pool.size }, (_, k) =>
      pool.train({ ...task(k), indices: task(k).indices.slice(0, batchSize * 3) }),
    ),
  );
  let samples = 0;
  let k = 0;
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  // Keep every worker busy until the deadline; count only tasks that finished.
  const loop = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const r = await pool.train(task(k++));
      samples += r.numSamples;
    }
  };
  await Promise.all(Array.from({ length: pool.size }, loop));
  const elapsed = (performance.now() - t0) / 1000;
  return {
    samplesPerSec: Math.round((samples / elapsed) * 10) / 10,
    samples,
    seconds: Math.round(elapsed * 100) / 100,
  };
}

async function main(): Promise<void> {
  const results: Record<string, unknown>[] = [];
  let engine = null;
  for (const workers of [...new Set([multi, 1])]) {
    const pool = new TrainingPool({ workers });
    engine = await pool.start({ name: "mnist", trainLimit: 20_000 });
    try {
      for (const model of models)
        for (const batchSize of batches) {
          const m = await measure(pool, model, batchSize);
          const ref = PYTORCH_REFERENCE[model as keyof typeof PYTORCH_REFERENCE];
          results.push({
            model,
            batchSize,
            workers,
            ...m,
            vsPytorch2Threads: ref ? Math.round((m.samplesPerSec / ref) * 100) / 100 : undefined,
          });
          console.error(`${model} B=${batchSize} workers=${workers}: ${m.samplesPerSec} samples/s`);
        }
    } finally {
      await pool.close();
    }
  }
  const cpus = os.cpus();
  console.log(
    JSON.stringify(
      {
        machine: {
          cpuModel: cpus[0]?.model ?? "unknown",
          cores,
          memoryGB: Math.round(os.totalmem() / 2 ** 30),
          node: process.version,
          platform: `${os.platform()} ${os.arch()}`,
        },
        engine: { ...engine, workersPerPool: multi },
        reference: { pytorch_1_13_2_threads_samples_per_sec: PYTORCH_REFERENCE },
        secondsPerCase: seconds,
        results,
      },
      null,
      2,
    ),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

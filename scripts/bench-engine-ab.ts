/**
 * A/B of the training engine between two checkouts, in one process: the same local training
 * task on each tree's engine (its own kernel module and memory), alternated in short tasks
 * (A B, B A, ...) so that the machine's drift hits both, and the median of the pair ratios.
 * This VM's speed swings 20-40% within minutes; separate runs of each tree cannot resolve a 5%
 * change, this can.
 *
 *   git worktree add /tmp/base <commit> && ln -s "$PWD/node_modules" /tmp/base/node_modules
 *   BENCH_AB_BASE=/tmp/base npm run bench:engine-ab
 *
 * Options (env): BENCH_AB_BASE (tree A, required), BENCH_AB_OTHER (tree B, default this one),
 * BENCH_AB_MODEL (cnn | 2nn, default cnn), BENCH_AB_BATCH (default 32), BENCH_AB_SAMPLES per
 * task (default 10 steps), BENCH_AB_REPS (pairs, default 41). It measures the SIMD kernels'
 * path (FEDLEDGER_ENGINE_KERNELS=simd) and needs both trees to have this tree's engine module
 * paths (backend/src/engine/...). The quartiles of the pair ratios show how far single pairs
 * scatter; run it twice before trusting a change of a few percent.
 */
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";

type Engine = {
  selectBackend: (b: string) => Promise<unknown>;
  loadDataset: (name: string, o: { trainLimit: number }) => Promise<{ train: unknown }>;
  trainLocal: (train: unknown, task: unknown) => unknown;
  initialWeights: (model: string, seed: number) => Float32Array;
};

const here = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const tree = z
  .string()
  .min(1)
  .refine((p) => existsSync(path.join(p, "backend/src/engine/trainer.ts")), {
    message: "is not a checkout of this repository (no backend/src/engine/trainer.ts)",
  });
const count = (max: number) => z.coerce.number().int().min(1).max(max);
const parsed = z
  .object({
    BENCH_AB_BASE: tree,
    BENCH_AB_OTHER: tree.default(here),
    BENCH_AB_MODEL: z.enum(["cnn", "2nn"]).default("cnn"),
    BENCH_AB_BATCH: count(512).default(32),
    BENCH_AB_SAMPLES: count(60_000).optional(),
    BENCH_AB_REPS: count(10_000).default(41),
  })
  .safeParse(process.env);
if (!parsed.success) {
  for (const i of parsed.error.issues) console.error(`${i.path.join(".")}: ${i.message}`);
  console.error("options: see the top of scripts/bench-engine-ab.ts");
  process.exit(2);
}
const {
  BENCH_AB_BASE: base,
  BENCH_AB_OTHER: other,
  BENCH_AB_MODEL: model,
  BENCH_AB_BATCH: batch,
  BENCH_AB_REPS: reps,
} = parsed.data;
const samples = parsed.data.BENCH_AB_SAMPLES ?? batch * 10;

async function load(root: string): Promise<Engine> {
  const src = path.join(path.resolve(root), "backend/src/engine");
  const [sel, ds, tr, w] = await Promise.all([
    import(path.join(src, "backend/select-backend.ts")),
    import(path.join(src, "datasets/index.ts")),
    import(path.join(src, "trainer.ts")),
    import(path.join(src, "weights.ts")),
  ]);
  return {
    selectBackend: sel.selectBackend,
    loadDataset: ds.loadDataset,
    trainLocal: tr.trainLocal,
    initialWeights: w.initialWeights,
  };
}

/** The q-quantile (0..1) of v, interpolated between neighbours. */
function quantile(v: number[], q: number): number {
  const s = [...v].sort((x, y) => x - y);
  const at = (s.length - 1) * q;
  const lo = Math.floor(at);
  return s[lo]! + (s[Math.min(lo + 1, s.length - 1)]! - s[lo]!) * (at - lo);
}
const median = (v: number[]) => quantile(v, 0.5);

async function main(): Promise<void> {
  process.env.FEDLEDGER_ENGINE_KERNELS = "simd";
  const engines = [await load(base), await load(other)];
  // One after the other: both trees resolve the same TensorFlow.js (node_modules is shared),
  // whose wasm backend initialises once.
  const runs: (() => number)[] = [];
  for (const e of engines) {
    await e.selectBackend("wasm");
    const { train } = await e.loadDataset("mnist", { trainLimit: Math.max(4000, samples) });
    const task = {
      model,
      weights: e.initialWeights(model, 1),
      indices: Array.from({ length: samples }, (_, i) => i),
      epochs: 1,
      batchSize: batch,
      learningRate: 0.01,
      seed: 1,
    };
    runs.push(() => {
      const t0 = performance.now();
      e.trainLocal(train, task);
      return performance.now() - t0;
    });
  }
  for (let i = 0; i < 3; i++) runs.forEach((r) => r());
  const times: [number[], number[]] = [[], []];
  const ratios: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = [0, 0];
    for (const k of i % 2 ? [0, 1] : [1, 0]) t[k] = runs[k]!();
    times[0].push(t[0]!);
    times[1].push(t[1]!);
    ratios.push(t[0]! / t[1]!);
  }
  const rate = (v: number[]) => Math.round((samples / median(v)) * 1000);
  const best = (v: number[]) => Math.round((samples / Math.min(...v)) * 1000);
  console.log(
    `machine: ${os.cpus()[0]?.model ?? "?"}, ${os.cpus().length} cores, Node ${process.version}`,
  );
  console.log(`${model} B=${batch}, ${samples} samples per task, ${reps} interleaved pairs`);
  console.log(`  A ${base}: ${rate(times[0])} samples/s (best ${best(times[0])})`);
  console.log(`  B ${other}: ${rate(times[1])} samples/s (best ${best(times[1])})`);
  console.log(
    `  B / A speed: median of pair ratios ${median(ratios).toFixed(3)} ` +
      `(quartiles ${quantile(ratios, 0.25).toFixed(3)}-${quantile(ratios, 0.75).toFixed(3)})`,
  );
}

await main();

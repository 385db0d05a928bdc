/**
 * Per-kernel profile of local training on this thread (BENCH_PROFILE=1 npm run bench:train).
 *
 * Throughput is measured first, on one ordinary training task with nothing wrapped. Then every
 * kernel is wrapped in a timer and single-step tasks are run; a step calls the same kernels in
 * the same order every time, so each call site's time is taken as its MINIMUM over the steps
 * (robust to other processes on a shared machine) and call sites are summed by kernel and shape.
 * The mean over the steps is printed beside it: minima of many short calls add up to less than
 * a step takes (a call at its fastest had its data in cache), means add up to about the step.
 *
 * - tfjs path: every kernel registered for the wasm backend, exclusive time (a custom kernel
 *   that calls stock kernels is charged only its own work); the tape and tensor bookkeeping
 *   are what the kernels do not account for.
 * - simd path: every export of the kernel module, labelled by its shape arguments.
 */
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "./backend/select-backend.js";
import { loadDataset } from "./datasets/index.js";
import type { ModelKind } from "./models/spec.js";
import { kernelRuntime } from "./simd/index.js";
import { trainLocal } from "./trainer.js";
import { initialWeights } from "./weights.js";

export interface ProfileOptions {
  model: ModelKind;
  batchSize: number;
  /** Samples of the throughput task (after a warm-up task). */
  samples: number;
  /** Single-step tasks profiled. */
  steps?: number;
  kernels: "simd" | "tfjs";
}

/** How many leading (shape) arguments name a SIMD kernel call. */
const SHAPE_ARGS: Record<string, number> = {
  gemm: 3,
  conv: 4,
  convdw: 4,
  pool2: 4,
  pool2bwd: 4,
  relubwd: 1,
  colsum: 2,
  sgd: 1,
  transpose: 2,
  rotflip: 4,
  wino_wt: 2,
  wino_in: 4,
  wino_out: 4,
  wino_wt4: 2,
  wino_in4: 4,
  wino_out4: 4,
  zerowin: 4,
  wino_dy: 4,
  wino_dwout: 2,
};

/**
 * Per call site of a step (calls numbered from 0 in order): a label and the minimum time over
 * steps, exclusive of nested timed calls.
 */
class SiteTimer {
  readonly labels: string[] = [];
  readonly mins: number[] = [];
  readonly sums: number[] = [];
  steps = 0;
  site = 0;
  private readonly stack: number[] = [];

  timed<A extends unknown[], R>(label: (args: A) => string, fn: (...args: A) => R) {
    return (...args: A): R => {
      const t = performance.now();
      this.stack.push(0);
      const i = this.site++;
      try {
        return fn(...args);
      } finally {
        const total = performance.now() - t;
        const child = this.stack.pop()!;
        if (this.stack.length) this.stack[this.stack.length - 1]! += total;
        if (this.labels[i] === undefined) this.labels[i] = label(args);
        this.mins[i] = Math.min(this.mins[i] ?? Infinity, total - child);
        this.sums[i] = (this.sums[i] ?? 0) + total - child;
      }
    };
  }

  /** Sites grouped by label, largest total first. */
  byLabel(): [string, { ms: number; meanMs: number; calls: number }][] {
    const byLabel = new Map<string, { ms: number; meanMs: number; calls: number }>();
    this.labels.forEach((l, i) => {
      const e = byLabel.get(l) ?? { ms: 0, meanMs: 0, calls: 0 };
      e.ms += this.mins[i]!;
      e.meanMs += this.sums[i]! / this.steps;
      e.calls++;
      byLabel.set(l, e);
    });
    return [...byLabel.entries()].sort((a, b) => b[1].ms - a[1].ms);
  }
}

/** Wraps every kernel of the path in the timer; returns the functions that undo it. */
function instrument(kernels: "simd" | "tfjs", timer: SiteTimer): (() => void)[] {
  const restore: (() => void)[] = [];
  if (kernels === "tfjs") {
    for (const k of tf.getKernelsForBackend("wasm")) {
      const orig = k.kernelFunc;
      tf.unregisterKernel(k.kernelName, "wasm");
      tf.registerKernel({
        ...k,
        setupFunc: undefined,
        kernelFunc: timer.timed(() => k.kernelName, orig),
      });
      restore.push(() => {
        tf.unregisterKernel(k.kernelName, "wasm");
        tf.registerKernel({ ...k, setupFunc: undefined });
      });
    }
    return restore;
  }
  const k = kernelRuntime().k as unknown as Record<string, (...a: number[]) => void>;
  for (const name of Object.keys(k)) {
    const orig = k[name]!;
    const n = SHAPE_ARGS[name] ?? 0;
    k[name] = timer.timed((a: number[]) => `${name}(${a.slice(0, n).join(",")})`, orig);
    restore.push(() => (k[name] = orig));
  }
  return restore;
}

/** The printable table: throughput, then every kernel's share of a step. */
function formatProfile(o: ProfileOptions, wall: number, steps: number, timer: SiteTimer): string {
  const rows = timer.byLabel();
  const kernelMs = rows.reduce((s, [, v]) => s + v.ms, 0);
  const meanMs = rows.reduce((s, [, v]) => s + v.meanMs, 0);
  const out = [
    `${o.model.toUpperCase()} B=${o.batchSize}, ${o.kernels} path: ` +
      `${((o.batchSize / wall) * 1000).toFixed(0)} samples/s unwrapped (${wall.toFixed(2)} ms/step); ` +
      `kernels ${kernelMs.toFixed(2)} ms/step (sum over call sites of the minimum over ${steps} steps), ` +
      `${meanMs.toFixed(2)} ms/step (sum of means)`,
    `  ${"kernel(shape)".padEnd(26)} ${"min-sum".padStart(11)} ${"share".padStart(6)} ${"mean".padStart(11)}  calls/step`,
  ];
  for (const [name, v] of rows) {
    if (v.ms / kernelMs < 0.004) continue;
    out.push(
      `  ${name.padEnd(26)} ${v.ms.toFixed(3).padStart(8)} ms ${((v.ms / kernelMs) * 100)
        .toFixed(1)
        .padStart(5)}% ${v.meanMs.toFixed(3).padStart(8)} ms  ${String(v.calls).padStart(3)}`,
    );
  }
  return out.join("\n");
}

/** Trains with every kernel timed; returns a printable table. */
export async function profileTraining(o: ProfileOptions): Promise<string> {
  await selectBackend("wasm");
  const prev = process.env.FEDLEDGER_ENGINE_KERNELS;
  process.env.FEDLEDGER_ENGINE_KERNELS = o.kernels;
  const ds = await loadDataset("mnist", { trainLimit: Math.max(2000, o.samples) });
  const task = (n: number, start = 0) => ({
    model: o.model,
    weights: initialWeights(o.model, 1),
    indices: Array.from({ length: n }, (_, i) => (start + i) % ds.train.n),
    epochs: 1,
    batchSize: o.batchSize,
    learningRate: 0.01,
    seed: 1,
  });
  const timer = new SiteTimer();
  let restore: (() => void)[] = [];
  try {
    trainLocal(ds.train, task(o.batchSize * 5));
    const t0 = performance.now();
    trainLocal(ds.train, task(o.samples));
    const wall = (performance.now() - t0) / Math.ceil(o.samples / o.batchSize);
    restore = instrument(o.kernels, timer);
    const steps = o.steps ?? 30;
    timer.steps = steps;
    for (let s = 0; s < steps; s++) {
      timer.site = 0;
      trainLocal(ds.train, task(o.batchSize, s * o.batchSize));
    }
    return formatProfile(o, wall, steps, timer);
  } finally {
    for (const r of restore) r();
    if (prev === undefined) delete process.env.FEDLEDGER_ENGINE_KERNELS;
    else process.env.FEDLEDGER_ENGINE_KERNELS = prev;
  }
}

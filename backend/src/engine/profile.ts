/**
 * Per-kernel profile of local training on this thread (BENCH_PROFILE=1 npm run bench:train).
 *
 * - tfjs path: every kernel registered for the wasm backend is re-registered wrapped in a timer;
 *   times are exclusive (a custom kernel that calls stock kernels is charged only its own work).
 * - simd path: every export of the kernel module is wrapped the same way.
 *
 * Wall time includes what is not a kernel: the autograd tape and tensor bookkeeping of tfjs,
 * copying the batch in, the loss in JS. Profiling adds a little overhead per call.
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
  /** Samples in the profiled task (after a warm-up task). */
  samples: number;
  kernels: "simd" | "tfjs";
}

type Timings = Map<string, { ms: number; calls: number }>;

function wrapTimed<F extends (...args: never[]) => unknown>(
  name: (args: Parameters<F>) => string,
  fn: F,
  stack: number[],
  timings: Timings,
): F {
  return ((...args: Parameters<F>) => {
    const t = performance.now();
    stack.push(0);
    try {
      return fn(...args);
    } finally {
      const total = performance.now() - t;
      const child = stack.pop()!;
      if (stack.length) stack[stack.length - 1]! += total;
      const key = name(args);
      const e = timings.get(key) ?? { ms: 0, calls: 0 };
      e.ms += total - child;
      e.calls++;
      timings.set(key, e);
    }
  }) as F;
}

/** Trains one task with every kernel timed; returns a printable table. */
export async function profileTraining(o: ProfileOptions): Promise<string> {
  await selectBackend("wasm");
  const prev = process.env.FEDLEDGER_ENGINE_KERNELS;
  process.env.FEDLEDGER_ENGINE_KERNELS = o.kernels;
  const ds = await loadDataset("mnist", { trainLimit: Math.max(2000, o.samples) });
  const timings: Timings = new Map();
  const stack: number[] = [];
  const restore: (() => void)[] = [];
  try {
    if (o.kernels === "tfjs") {
      for (const k of tf.getKernelsForBackend("wasm")) {
        const orig = k.kernelFunc;
        tf.unregisterKernel(k.kernelName, "wasm");
        tf.registerKernel({
          ...k,
          setupFunc: undefined,
          kernelFunc: wrapTimed(() => k.kernelName, orig, stack, timings),
        });
        restore.push(() => {
          tf.unregisterKernel(k.kernelName, "wasm");
          tf.registerKernel({ ...k, setupFunc: undefined });
        });
      }
    } else {
      const k = kernelRuntime().k as unknown as Record<string, (...a: number[]) => void>;
      for (const name of Object.keys(k)) {
        const orig = k[name]!;
        // Label by the leading shape arguments, e.g. conv(10,14,14,32).
        k[name] = wrapTimed(
          (a: number[]) => `${name}(${a.slice(0, 4).join(",")})`,
          orig,
          stack,
          timings,
        );
        restore.push(() => (k[name] = orig));
      }
    }
    const task = (n: number) => ({
      model: o.model,
      weights: initialWeights(o.model, 1),
      indices: Array.from({ length: n }, (_, i) => i),
      epochs: 1,
      batchSize: o.batchSize,
      learningRate: 0.01,
      seed: 1,
    });
    trainLocal(ds.train, task(o.batchSize * 5));
    timings.clear();
    const t0 = performance.now();
    trainLocal(ds.train, task(o.samples));
    const wall = performance.now() - t0;
    const steps = Math.ceil(o.samples / o.batchSize);
    const rows = [...timings.entries()].sort((a, b) => b[1].ms - a[1].ms);
    const kernelMs = rows.reduce((s, [, v]) => s + v.ms, 0);
    const out = [
      `${o.model.toUpperCase()} B=${o.batchSize}, ${o.kernels} kernels: ${((o.samples / wall) * 1000).toFixed(0)} samples/s ` +
        `(${(wall / steps).toFixed(2)} ms/step; kernels ${(kernelMs / steps).toFixed(2)} ms/step, ` +
        `${((kernelMs / wall) * 100).toFixed(0)}% of wall time)`,
    ];
    for (const [name, v] of rows) {
      if (v.ms / wall < 0.002) continue;
      out.push(
        `  ${name.padEnd(30)} ${(v.ms / steps).toFixed(3).padStart(8)} ms/step ${(
          (v.ms / wall) *
          100
        )
          .toFixed(1)
          .padStart(5)}%  ${(v.calls / steps).toFixed(1)} calls/step`,
      );
    }
    return out.join("\n");
  } finally {
    for (const r of restore) r();
    if (prev === undefined) delete process.env.FEDLEDGER_ENGINE_KERNELS;
    else process.env.FEDLEDGER_ENGINE_KERNELS = prev;
  }
}

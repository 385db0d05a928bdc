/**
 * The engine's own training and evaluation path: hand-written WebAssembly SIMD kernels
 * (kernels.ts) composed into fixed forward / backward passes per model (nets.ts). It needs no
 * TensorFlow.js backend; the engine uses it on the wasm backend (see useSimdKernels) and the
 * tfjs graph otherwise.
 */
import type { Split } from "../datasets/types.js";
import { IMAGE_SIZE } from "../datasets/types.js";
import type { ModelKind } from "../models/spec.js";
import { NativeNet } from "./nets.js";
import { kernelRuntime } from "./runtime.js";

export { NativeNet } from "./nets.js";
export type { BatchStats } from "./loss.js";
export { kernelRuntime, KernelRuntime } from "./runtime.js";

/** Which implementation trains and evaluates: this module's kernels or the tfjs graph. */
export type TrainingKernels = "simd" | "tfjs";

/**
 * FEDLEDGER_ENGINE_KERNELS=simd|tfjs forces one; by default the SIMD kernels serve the wasm
 * backend (where they are several times faster than tfjs-wasm) and tfjs the others
 * ("tensorflow" is native TensorFlow; "cpu" is kept as the plain reference).
 */
export function trainingKernelsFor(backendName: string): TrainingKernels {
  const forced = process.env.FEDLEDGER_ENGINE_KERNELS;
  if (forced === "simd" || forced === "tfjs") return forced;
  if (forced) throw new Error(`FEDLEDGER_ENGINE_KERNELS must be simd or tfjs, got "${forced}"`);
  return backendName === "wasm" ? "simd" : "tfjs";
}

/** Samples per forward call when evaluating (activations of one chunk stay cache-sized). */
export const EVAL_CHUNK = 32;

const nets = new Map<string, NativeNet>();

/** This thread's network for (model, batch capacity), created on first use and kept. */
export function nativeNet(kind: ModelKind, cap: number): NativeNet {
  const key = `${kind}:${cap}`;
  let net = nets.get(key);
  if (!net) {
    net = new NativeNet(kernelRuntime(), kind, cap);
    nets.set(key, net);
  }
  return net;
}

/**
 * Images of an evaluation split copied once into kernel memory in a model's input layout, so
 * that scoring many models re-reads them in place (freed by release()).
 */
export class ResidentImages {
  readonly ptr: number;
  readonly n: number;
  readonly imageBytes: number;
  private released = false;

  constructor(kind: ModelKind, split: Split) {
    const net = nativeNet(kind, EVAL_CHUNK);
    this.n = split.n;
    this.imageBytes = net.imageFloats * 4;
    this.ptr = kernelRuntime().alloc(Math.max(1, split.n) * net.imageFloats);
    net.writeImages(split.x.subarray(0, split.n * IMAGE_SIZE), split.n, this.ptr);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    kernelRuntime().free(this.ptr);
  }
}

/**
 * Loss sums (one per chunk of EVAL_CHUNK samples, in order) and hits of one weight vector on
 * resident images [from, to) (labels y); from is a multiple of EVAL_CHUNK.
 */
export function evaluateResident(
  kind: ModelKind,
  weights: Float32Array,
  images: ResidentImages,
  y: ArrayLike<number>,
  from = 0,
  to = images.n,
): { lossSums: number[]; correct: number } {
  const net = nativeNet(kind, EVAL_CHUNK);
  net.load(weights);
  const lossSums: number[] = [];
  let correct = 0;
  for (let s = from; s < to; s += EVAL_CHUNK) {
    const m = Math.min(EVAL_CHUNK, to - s);
    const labels = new Uint8Array(m);
    for (let i = 0; i < m; i++) labels[i] = y[s + i]!;
    const r = net.evaluate(m, labels, images.ptr + s * images.imageBytes);
    lossSums.push(r.lossSum);
    correct += r.correct;
  }
  return { lossSums, correct };
}

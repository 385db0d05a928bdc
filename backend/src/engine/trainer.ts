/**
 * Local training and evaluation on the current thread's TensorFlow.js backend. The worker
 * threads run these; tests and benchmarks may call them directly.
 */
import * as tf from "@tensorflow/tfjs";
import { sampleSizeOf, type Split } from "./datasets/types.js";
import { crossEntropy } from "./models/forward.js";
import { resolveModel, type ModelRef, type ResolvedModel } from "./models/model-ref.js";
import type { ModelKind } from "./models/spec.js";
import { deriveSeed, Rng } from "./rng.js";
import {
  EVAL_CHUNK,
  evaluateResident,
  nativeNet,
  ResidentImages,
  trainingKernelsFor,
  type TrainingKernels,
} from "./simd/index.js";
import { flattenWeights, unflattenWeights } from "./weights.js";
import {
  combinePartials,
  partRange,
  WHOLE,
  type EvalPart,
  type EvalPartial,
  type EvalResult,
} from "./eval-partials.js";

export type { EvalPart, EvalPartial, EvalResult } from "./eval-partials.js";

/**
 * The implementation that trains and evaluates on this thread now: the engine's SIMD kernels on
 * the wasm backend, the tfjs graph otherwise (FEDLEDGER_ENGINE_KERNELS overrides; see
 * simd/index.ts).
 */
export function trainingKernels(): TrainingKernels {
  return trainingKernelsFor(tf.getBackend());
}

export interface TrainProgress {
  epoch: number;
  batch: number;
  batches: number;
  loss: number;
}

export interface LocalTrainOptions {
  model: ModelRef;
  weights: Float32Array;
  /** Indices into `data` of the samples to train on. */
  indices: ArrayLike<number>;
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  /** FedProx: adds (mu/2)||w - w_start||^2 to the loss. */
  proxMu?: number;
  onProgress?: (p: TrainProgress) => void;
  /** Minimum milliseconds between two onProgress calls (the last batch always reports). */
  progressIntervalMs?: number;
}

export interface LocalTrainResult {
  weights: Float32Array;
  numSamples: number;
  /** Mean minibatch loss over the last epoch (cross-entropy, without the proximal term). */
  trainLoss: number;
  durationMs: number;
}

function checkHyper(o: LocalTrainOptions): void {
  if (!(Number.isInteger(o.epochs) && o.epochs >= 1))
    throw new RangeError(`epochs must be an integer >= 1, got ${o.epochs}`);
  if (!(Number.isInteger(o.batchSize) && o.batchSize >= 1))
    throw new RangeError(`batchSize must be an integer >= 1, got ${o.batchSize}`);
  if (!(o.learningRate > 0 && Number.isFinite(o.learningRate)))
    throw new RangeError(`learningRate must be a positive number, got ${o.learningRate}`);
  if (o.proxMu !== undefined && !(o.proxMu >= 0))
    throw new RangeError(`proxMu must be >= 0, got ${o.proxMu}`);
}

/** The model for `data`, refusing data of another sample size or with labels beyond its classes. */
function modelFor(ref: ModelRef, data: Split): ResolvedModel {
  const m = resolveModel(ref);
  const d = sampleSizeOf(data);
  if (data.n > 0 && d !== m.sampleSize)
    throw new RangeError(
      `the data has ${d} values per sample, the model ${m.label} takes ${m.sampleSize} ([${m.inputShape.join(", ")}])`,
    );
  return m;
}

/** Copies the samples at `idx[start..end)` into preallocated x / one-hot buffers. */
function fillBatch(
  m: ResolvedModel,
  data: Split,
  idx: ArrayLike<number>,
  start: number,
  end: number,
  xb: Float32Array,
  yb: Float32Array,
): void {
  const d = m.sampleSize;
  const k = m.numClasses;
  yb.fill(0, 0, (end - start) * k);
  for (let i = start; i < end; i++) {
    const s = idx[i]!;
    if (!(s >= 0 && s < data.n))
      throw new RangeError(`sample index ${s} out of range 0..${data.n - 1}`);
    const label = data.y[s]!;
    if (label >= k)
      throw new RangeError(`label ${label} of sample ${s} is not one of ${k} classes`);
    const r = i - start;
    xb.set(data.x.subarray(s * d, (s + 1) * d), r * d);
    yb[r * k + label] = 1;
  }
}

/**
 * Minibatch SGD (plain, as in FedAvg) for `epochs` passes over `indices`, reshuffled each epoch
 * from `seed`. Returns new weights; leaves no tensors behind.
 */
export function trainLocal(data: Split, o: LocalTrainOptions): LocalTrainResult {
  checkHyper(o);
  const t0 = performance.now();
  const n = o.indices.length;
  if (n === 0) throw new RangeError("cannot train on an empty set of samples");
  const model = modelFor(o.model, data);
  if (model.simd && trainingKernels() === "simd") return trainLocalSimd(model.simd, data, o, t0);
  const d = model.sampleSize;
  const k = model.numClasses;
  const order = Int32Array.from(o.indices);
  const bs = Math.min(o.batchSize, n);
  const xb = new Float32Array(bs * d);
  const yb = new Float32Array(bs * k);
  const batches = Math.ceil(n / bs);
  const mu = o.proxMu ?? 0;
  let params = unflattenWeights(o.model, o.weights);
  const start = mu > 0 ? params.map((p) => p.clone()) : [];
  const lr = tf.scalar(o.learningRate);
  const muT = tf.scalar(mu);
  let lastEpochLoss = 0;
  let lastReport = 0;
  try {
    for (let epoch = 0; epoch < o.epochs; epoch++) {
      new Rng(deriveSeed(o.seed, epoch)).shuffle(order);
      let sum = 0;
      for (let b = 0; b < batches; b++) {
        const s = b * bs;
        const e = Math.min(n, s + bs);
        const m = e - s;
        fillBatch(model, data, order, s, e, xb, yb);
        const [next, loss] = tf.tidy(() => {
          const x = tf.tensor2d(m === bs ? xb : xb.subarray(0, m * d), [m, d]);
          const y = tf.tensor2d(m === bs ? yb : yb.subarray(0, m * k), [m, k]);
          // x and y are closed over (not arguments), so no gradient is computed for the input.
          const { value, grads } = tf.valueAndGrads((...ps: tf.Tensor[]) =>
            crossEntropy(model.forward(ps, x), y),
          )(params);
          const updated = params.map((p, i) => {
            let g = grads[i]!;
            if (mu > 0) g = g.add(p.sub(start[i]!).mul(muT));
            return p.sub(g.mul(lr));
          });
          return [updated, value.dataSync()[0]!] as const;
        });
        for (const p of params) p.dispose();
        params = next as tf.Tensor[];
        sum += loss;
        if (!Number.isFinite(loss))
          throw new Error(`training diverged: loss is ${loss} at epoch ${epoch}, batch ${b}`);
        const now = performance.now();
        if (
          o.onProgress &&
          (b === batches - 1 || now - lastReport >= (o.progressIntervalMs ?? 250))
        ) {
          lastReport = now;
          o.onProgress({ epoch, batch: b + 1, batches, loss });
        }
      }
      lastEpochLoss = sum / batches;
    }
    const weights = flattenWeights(params);
    return { weights, numSamples: n, trainLoss: lastEpochLoss, durationMs: performance.now() - t0 };
  } finally {
    for (const p of params) p.dispose();
    for (const p of start) p.dispose();
    lr.dispose();
    muT.dispose();
  }
}

/** trainLocal on the SIMD kernels: the same shuffles, batches, loss and progress reports. */
function trainLocalSimd(
  kind: ModelKind,
  data: Split,
  o: LocalTrainOptions,
  t0: number,
): LocalTrainResult {
  const n = o.indices.length;
  const order = Int32Array.from(o.indices);
  const bs = Math.min(o.batchSize, n);
  const batches = Math.ceil(n / bs);
  const mu = o.proxMu ?? 0;
  const net = nativeNet(kind, bs);
  net.load(o.weights);
  if (mu > 0) net.markStart();
  const labels = new Uint8Array(bs);
  let lastEpochLoss = 0;
  let lastReport = 0;
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    new Rng(deriveSeed(o.seed, epoch)).shuffle(order);
    let sum = 0;
    for (let b = 0; b < batches; b++) {
      const s = b * bs;
      const m = Math.min(n, s + bs) - s;
      net.setInput(data.x, order, s, m, data.n);
      for (let i = 0; i < m; i++) labels[i] = data.y[order[s + i]!]!;
      const loss = net.trainStep(m, labels, o.learningRate, mu).lossSum / m;
      sum += loss;
      if (!Number.isFinite(loss))
        throw new Error(`training diverged: loss is ${loss} at epoch ${epoch}, batch ${b}`);
      const now = performance.now();
      if (
        o.onProgress &&
        (b === batches - 1 || now - lastReport >= (o.progressIntervalMs ?? 250))
      ) {
        lastReport = now;
        o.onProgress({ epoch, batch: b + 1, batches, loss });
      }
    }
    lastEpochLoss = sum / batches;
  }
  return {
    weights: net.save(),
    numSamples: n,
    trainLoss: lastEpochLoss,
    durationMs: performance.now() - t0,
  };
}

/**
 * An evaluation set kept for repeated evaluations (scoring), so the images are not re-uploaded:
 * as tfjs tensors (created on first use by the tfjs path) and, for the SIMD kernels, copied once
 * into kernel memory in each model's input layout.
 */
export class EvalSet {
  readonly n: number;
  private readonly data: Split;
  private xT: tf.Tensor2D | null = null;
  private yT: tf.Tensor1D | null = null;
  private readonly resident = new Map<ModelKind, ResidentImages>();

  constructor(data: Split) {
    this.n = data.n;
    this.data = data;
  }

  /** Values per sample. */
  get sampleSize(): number {
    return sampleSizeOf(this.data);
  }

  /** The samples as a [n, sample size] tensor (uploaded on first use; kept across tf.tidy). */
  get x(): tf.Tensor2D {
    const d = this.sampleSize;
    this.xT ??= tf.keep(tf.tensor2d(this.data.x.subarray(0, this.n * d), [this.n, d]));
    return this.xT;
  }

  /** The labels as an int32 tensor (uploaded on first use; kept across tf.tidy). */
  get y(): tf.Tensor1D {
    this.yT ??= tf.keep(tf.tensor1d(Int32Array.from(this.data.y.subarray(0, this.n)), "int32"));
    return this.yT;
  }

  /** The labels. */
  get labels(): Uint8Array {
    return this.data.y;
  }

  /** The images in kernel memory for `model` (SIMD path). */
  residentImages(model: ModelKind): ResidentImages {
    let r = this.resident.get(model);
    if (!r) {
      r = new ResidentImages(model, this.data);
      this.resident.set(model, r);
    }
    return r;
  }

  dispose(): void {
    this.xT?.dispose();
    this.yT?.dispose();
    this.xT = this.yT = null;
    for (const r of this.resident.values()) r.release();
    this.resident.clear();
  }
}

/** Loss and accuracy of each weight vector on `set`, forward passes in batches of `batchSize`. */
export function evaluateWeights(
  ref: ModelRef,
  weightsList: Float32Array[],
  set: EvalSet,
  batchSize = 500,
): EvalResult[] {
  return evaluatePartials(ref, weightsList, set, WHOLE, batchSize).map((p) => combinePartials([p]));
}

/**
 * Each weight vector's partial evaluation on share `part` of `set`'s batches (batches of
 * `batchSize` on the tfjs path, EVAL_CHUNK on the SIMD kernels).
 */
export function evaluatePartials(
  ref: ModelRef,
  weightsList: Float32Array[],
  set: EvalSet,
  part: EvalPart,
  batchSize = 500,
): EvalPartial[] {
  const model = resolveModel(ref);
  if (set.n > 0 && set.sampleSize !== model.sampleSize)
    throw new RangeError(
      `the evaluation data has ${set.sampleSize} values per sample, the model ${model.label} takes ${model.sampleSize}`,
    );
  const kind = model.simd;
  if (kind && trainingKernels() === "simd") {
    const [from, to] = partRange(set.n, EVAL_CHUNK, part);
    return weightsList.map((w) => ({
      ...evaluateResident(kind, w, set.residentImages(kind), set.labels, from, to),
      n: set.n,
      from,
      to,
    }));
  }
  const [from, to] = partRange(set.n, batchSize, part);
  return weightsList.map((w) => {
    const params = unflattenWeights(ref, w);
    try {
      const lossSums: number[] = [];
      let correct = 0;
      for (let s = from; s < to; s += batchSize) {
        const m = Math.min(batchSize, to - s);
        const [l, c] = tf.tidy(() => {
          const x = set.x.slice([s, 0], [m, set.sampleSize]);
          const y = set.y.slice([s], [m]);
          const logits = model.forward(params, x);
          const ce = tf.losses.softmaxCrossEntropy(
            tf.oneHot(y, model.numClasses),
            logits,
            undefined,
            undefined,
            tf.Reduction.SUM,
          );
          const hits = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), y), "int32"));
          return [ce.dataSync()[0]!, hits.dataSync()[0]!];
        });
        lossSums.push(l);
        correct += c;
      }
      return { lossSums, correct, n: set.n, from, to };
    } finally {
      for (const p of params) p.dispose();
    }
  });
}

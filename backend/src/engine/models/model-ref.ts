// Which model a run trains, for any data shape: a built-in architecture by name (MNIST-shaped data,
// 28×28×1 and 10 classes, as every run before user data had), a built-in sized for the run's data,
// or a TF.js Layers topology the run declares. Every worker, agent and auditor resolves the same
// reference to the same parameter list and forward pass, so flat weight vectors mean the same
// thing everywhere. Browser-safe (the dashboard's audit evaluates with it).
import type * as tf from "@tensorflow/tfjs";
import type { ModelKind } from "./catalogue.js";
import { builtinForward } from "./forward.js";
import { buildLayersTopology } from "./layers-topology.js";
import { builtinParamSpecs, MNIST_CLASSES, MNIST_INPUT_SHAPE, type ParamSpec } from "./spec.js";

/** A model sized for a run's data: a built-in kind, or a declared TF.js Layers topology. */
export type ModelDef =
  | { kind: ModelKind; inputShape: readonly number[]; numClasses: number }
  | { kind: "layers"; inputShape: readonly number[]; numClasses: number; topology: unknown };

/** A built-in kind on MNIST-shaped data, or a model sized for the run's data. */
export type ModelRef = ModelKind | ModelDef;

export interface ResolvedModel {
  /** A stable text naming the model (the cache key). */
  readonly key: string;
  /** For logs and errors: "cnn", "cnn [32×32×3 → 4]", "layers [30 → 2]". */
  readonly label: string;
  readonly params: readonly ParamSpec[];
  readonly parameterCount: number;
  readonly inputShape: readonly number[];
  /** Values per sample (the product of inputShape). */
  readonly sampleSize: number;
  readonly numClasses: number;
  /** Logits [B, numClasses] of x ([B, ...inputShape] or [B, sampleSize]); pure in p. */
  forward(p: readonly tf.Tensor[], x: tf.Tensor): tf.Tensor2D;
  /** The built-in kind the engine's SIMD kernels run (MNIST-shaped built-ins only), else null. */
  readonly simd: ModelKind | null;
  /** One line per layer for a declared topology; empty for built-ins. */
  readonly layers: readonly string[];
}

const cache = new Map<string, ResolvedModel>();

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function keyOf(ref: ModelRef): string {
  return typeof ref === "string" ? ref : JSON.stringify(ref);
}

function build(ref: ModelRef): ResolvedModel {
  const def: ModelDef =
    typeof ref === "string"
      ? { kind: ref, inputShape: MNIST_INPUT_SHAPE, numClasses: MNIST_CLASSES }
      : ref;
  const { inputShape, numClasses } = def;
  if (!(Number.isInteger(numClasses) && numClasses >= 2 && numClasses <= 255))
    throw new RangeError(`a model needs 2 to 255 classes, got ${numClasses}`);
  if (!(inputShape.length >= 1 && inputShape.every((d) => Number.isInteger(d) && d >= 1)))
    throw new RangeError(`bad input shape [${inputShape.join(", ")}]`);
  const shape = `${inputShape.join("×")} → ${numClasses}`;
  const base = {
    key: keyOf(ref),
    inputShape,
    numClasses,
    sampleSize: inputShape.reduce((a, b) => a * b, 1),
  };
  if (def.kind === "layers") {
    const m = buildLayersTopology(def.topology, inputShape, numClasses);
    return {
      ...base,
      label: `layers [${shape}]`,
      params: m.params,
      parameterCount: m.parameterCount,
      forward: (p, x) => m.forward(p, x),
      simd: null,
      layers: m.layers,
    };
  }
  const kind = def.kind;
  const params = builtinParamSpecs(kind, inputShape, numClasses);
  const mnist = sameShape(inputShape, MNIST_INPUT_SHAPE) && numClasses === MNIST_CLASSES;
  return {
    ...base,
    label: typeof ref === "string" ? kind : `${kind} [${shape}]`,
    params,
    parameterCount: params.reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0),
    forward: (p, x) => builtinForward(kind, inputShape, p, x),
    simd: mnist ? kind : null,
    layers: [],
  };
}

/** The model a reference names (built once per reference and process). */
export function resolveModel(ref: ModelRef): ResolvedModel {
  const key = keyOf(ref);
  let m = cache.get(key);
  if (!m) {
    m = build(ref);
    cache.set(key, m);
  }
  return m;
}

/** Parameter tensors of a model, in flat-vector order. */
export function paramSpecs(ref: ModelRef): readonly ParamSpec[] {
  return resolveModel(ref).params;
}

/** Number of trainable parameters (= length of the flat weight vector). */
export function parameterCount(ref: ModelRef): number {
  return resolveModel(ref).parameterCount;
}

/** Logits of a model for a batch, given its parameter tensors in `paramSpecs` order. */
export function forward(ref: ModelRef, p: readonly tf.Tensor[], x: tf.Tensor): tf.Tensor2D {
  return resolveModel(ref).forward(p, x);
}

/** A model's name for logs and errors. */
export function modelLabel(ref: ModelRef): string {
  return typeof ref === "string" ? ref : resolveModel(ref).label;
}

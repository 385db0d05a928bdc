// A stored model version as a TF.js LayersModel: model.json (the Keras-style topology of the
// built-in architecture and the weights manifest) and weights.bin, which is exactly the version's
// stored bytes (the flat float32 vector in paramSpecs order is the layers' weights in order).
// tf.loadLayersModel loads it in Node and in the browser, and it predicts what the engine does:
// the same logits (the last layer is linear; apply softmax for probabilities).
import * as tf from "@tensorflow/tfjs";
import type { ModelKind } from "../domain/index.js";
import { modelLabel, paramSpecs, type ModelRef } from "../engine/models/model-ref.js";
import { MNIST_CLASSES, MNIST_INPUT_SHAPE } from "../engine/models/spec.js";

export const WEIGHTS_FILE = "weights.bin";

/** Image input is flattened first; a table row (rank 1) goes straight into the first dense layer. */
function flatten(input: { inputShape: number[] }): tf.layers.Layer[] {
  return input.inputShape.length > 1 ? [tf.layers.flatten({ ...input, name: "flatten" })] : [];
}

function dense1(input: { inputShape: number[] }): { inputShape?: number[] } {
  return input.inputShape.length > 1 ? {} : input;
}

function layers(kind: ModelKind, inputShape: readonly number[], k: number): tf.layers.Layer[] {
  const input = { inputShape: [...inputShape] };
  switch (kind) {
    case "cnn":
      return [
        tf.layers.conv2d({ ...input, name: "conv1", filters: 32, kernelSize: 5, padding: "same", activation: "relu" }),
        tf.layers.maxPooling2d({ name: "pool1", poolSize: 2, strides: 2, padding: "valid" }),
        tf.layers.conv2d({ name: "conv2", filters: 64, kernelSize: 5, padding: "same", activation: "relu" }),
        tf.layers.maxPooling2d({ name: "pool2", poolSize: 2, strides: 2, padding: "valid" }),
        tf.layers.flatten({ name: "flatten" }),
        tf.layers.dense({ name: "fc1", units: 512, activation: "relu" }),
        tf.layers.dense({ name: "fc2", units: k, activation: "linear" }),
      ];
    case "2nn":
      return [
        ...flatten(input),
        tf.layers.dense({ ...dense1(input), name: "fc1", units: 200, activation: "relu" }),
        tf.layers.dense({ name: "fc2", units: 200, activation: "relu" }),
        tf.layers.dense({ name: "fc3", units: k, activation: "linear" }),
      ];
    case "logreg":
      return [
        ...flatten(input),
        tf.layers.dense({ ...dense1(input), name: "fc", units: k, activation: "linear" }),
      ];
  }
}

const topologies = new Map<string, unknown>();

/**
 * The model's topology: a built-in's is built once per shape with TF.js itself (so it is what
 * TF.js reads); a declared one is the run's own topology, whose weights are in the same order.
 */
export function tfjsTopology(ref: ModelRef): unknown {
  if (typeof ref !== "string" && ref.kind === "layers") {
    const t = ref.topology as { modelTopology?: unknown } | string;
    const parsed: unknown = typeof t === "string" ? JSON.parse(t) : t;
    return (parsed as { modelTopology?: unknown }).modelTopology ?? parsed;
  }
  const key = typeof ref === "string" ? ref : JSON.stringify(ref);
  let t = topologies.get(key);
  if (!t) {
    const kind = typeof ref === "string" ? ref : ref.kind;
    const shape = typeof ref === "string" ? MNIST_INPUT_SHAPE : ref.inputShape;
    const k = typeof ref === "string" ? MNIST_CLASSES : ref.numClasses;
    const model = tf.sequential({ name: `fedledger_${kind.replace(/[^a-z0-9]/g, "")}`, layers: layers(kind, shape, k) });
    try {
      t = model.toJSON(undefined, false);
    } finally {
      model.dispose();
    }
    topologies.set(key, t);
  }
  return t;
}

/** model.json for a version of a model whose weights are served as `weightsPath`. */
export function tfjsModelJson(kind: ModelRef, weightsPath = WEIGHTS_FILE): Record<string, unknown> {
  return {
    format: "layers-model",
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
    convertedBy: `FedLedger model registry (${modelLabel(kind)})`,
    modelTopology: tfjsTopology(kind),
    weightsManifest: [
      {
        paths: [weightsPath],
        weights: paramSpecs(kind).map((p) => ({
          name: p.name.replace(".", "/"),
          shape: p.shape,
          dtype: "float32",
        })),
      },
    ],
  };
}

// A stored model version as a TF.js LayersModel: model.json (the Keras-style topology of the
// built-in architecture and the weights manifest) and weights.bin, which is exactly the version's
// stored bytes (the flat float32 vector in paramSpecs order is the layers' weights in order).
// tf.loadLayersModel loads it in Node and in the browser, and it predicts what the engine does:
// the same logits (the last layer is linear; apply softmax for probabilities).
import * as tf from "@tensorflow/tfjs";
import type { ModelKind } from "../domain/index.js";
import { paramSpecs } from "../engine/models/spec.js";

export const WEIGHTS_FILE = "weights.bin";

function layers(kind: ModelKind): tf.layers.Layer[] {
  const input = { inputShape: [28, 28, 1] };
  switch (kind) {
    case "cnn":
      return [
        tf.layers.conv2d({ ...input, name: "conv1", filters: 32, kernelSize: 5, padding: "same", activation: "relu" }),
        tf.layers.maxPooling2d({ name: "pool1", poolSize: 2, strides: 2, padding: "valid" }),
        tf.layers.conv2d({ name: "conv2", filters: 64, kernelSize: 5, padding: "same", activation: "relu" }),
        tf.layers.maxPooling2d({ name: "pool2", poolSize: 2, strides: 2, padding: "valid" }),
        tf.layers.flatten({ name: "flatten" }),
        tf.layers.dense({ name: "fc1", units: 512, activation: "relu" }),
        tf.layers.dense({ name: "fc2", units: 10, activation: "linear" }),
      ];
    case "2nn":
      return [
        tf.layers.flatten({ ...input, name: "flatten" }),
        tf.layers.dense({ name: "fc1", units: 200, activation: "relu" }),
        tf.layers.dense({ name: "fc2", units: 200, activation: "relu" }),
        tf.layers.dense({ name: "fc3", units: 10, activation: "linear" }),
      ];
    case "logreg":
      return [
        tf.layers.flatten({ ...input, name: "flatten" }),
        tf.layers.dense({ name: "fc", units: 10, activation: "linear" }),
      ];
  }
}

const topologies = new Map<ModelKind, unknown>();

/** The model's topology (built once per kind with TF.js itself, so it is what TF.js reads). */
export function tfjsTopology(kind: ModelKind): unknown {
  let t = topologies.get(kind);
  if (!t) {
    const model = tf.sequential({ name: `fedledger_${kind.replace(/[^a-z0-9]/g, "")}`, layers: layers(kind) });
    try {
      t = model.toJSON(undefined, false);
    } finally {
      model.dispose();
    }
    topologies.set(kind, t);
  }
  return t;
}

/** model.json for a version of `kind` whose weights are served as `weightsPath`. */
export function tfjsModelJson(kind: ModelKind, weightsPath = WEIGHTS_FILE): Record<string, unknown> {
  return {
    format: "layers-model",
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
    convertedBy: "FedLedger model registry",
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

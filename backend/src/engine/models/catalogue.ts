// The model catalogue: the built-in architectures, for the API, the dashboard and the CLI. Pure
// data; the layer specs are in spec.ts (keyed by these ids) and the forward pass in forward.ts.
import { idsOf, type EntryInfo } from "../../catalogue/entry.js";

export const MODELS = [
  {
    id: "cnn",
    label: "CNN (FedAvg paper)",
    help: "Two 5×5 conv layers (32, 64) with max pooling, a 512-unit dense layer, softmax: 1,663,370 parameters.",
  },
  {
    id: "2nn",
    label: "2NN (784-200-200-10)",
    help: "The FedAvg paper's multilayer perceptron: two hidden layers of 200 ReLU units, 199,210 parameters.",
  },
  {
    id: "logreg",
    label: "Logistic regression",
    help: "Softmax regression on the raw pixels: 7,850 parameters, trains in a blink.",
  },
] as const satisfies readonly EntryInfo[];

export const MODEL_IDS = idsOf(MODELS);
export type ModelKind = (typeof MODEL_IDS)[number];

import { MODEL_IDS, type ModelKind } from "./catalogue.js";

/** The models of the FedAvg paper (McMahan et al. 2017) plus logistic regression. */
export type { ModelKind } from "./catalogue.js";

export const MODEL_KINDS: readonly ModelKind[] = MODEL_IDS;

/** One parameter tensor of a model, in the fixed order used by flat weight vectors. */
export interface ParamSpec {
  name: string;
  shape: number[];
  /** Glorot-uniform (kernels, Keras' default) or zeros (biases). */
  init: "glorot" | "zeros";
  fanIn: number;
  fanOut: number;
}

function dense(name: string, inputs: number, units: number): ParamSpec[] {
  return [
    {
      name: `${name}.kernel`,
      shape: [inputs, units],
      init: "glorot",
      fanIn: inputs,
      fanOut: units,
    },
    { name: `${name}.bias`, shape: [units], init: "zeros", fanIn: inputs, fanOut: units },
  ];
}

function conv(name: string, k: number, cin: number, cout: number): ParamSpec[] {
  return [
    {
      name: `${name}.kernel`,
      shape: [k, k, cin, cout],
      init: "glorot",
      fanIn: k * k * cin,
      fanOut: k * k * cout,
    },
    {
      name: `${name}.bias`,
      shape: [cout],
      init: "zeros",
      fanIn: k * k * cin,
      fanOut: k * k * cout,
    },
  ];
}

const SPECS: Record<ModelKind, ParamSpec[]> = {
  // conv5x5x32 'same' + ReLU, maxpool 2x2, conv5x5x64 'same' + ReLU, maxpool 2x2, fc512 + ReLU,
  // fc10: 832 + 51,264 + 1,606,144 + 5,130 = 1,663,370 parameters.
  cnn: [
    ...conv("conv1", 5, 1, 32),
    ...conv("conv2", 5, 32, 64),
    ...dense("fc1", 7 * 7 * 64, 512),
    ...dense("fc2", 512, 10),
  ],
  // 784-200-200-10 with ReLU: 199,210 parameters.
  "2nn": [...dense("fc1", 784, 200), ...dense("fc2", 200, 200), ...dense("fc3", 200, 10)],
  // 784-10 softmax regression: 7,850 parameters.
  logreg: dense("fc", 784, 10),
};

/** Parameter tensors of a model, in flat-vector order. */
export function paramSpecs(kind: ModelKind): readonly ParamSpec[] {
  const s = SPECS[kind];
  if (!s)
    throw new Error(
      `unknown model kind "${String(kind)}"; expected one of ${MODEL_KINDS.join(", ")}`,
    );
  return s;
}

/** Number of trainable parameters (= length of the flat weight vector). */
export function parameterCount(kind: ModelKind): number {
  return paramSpecs(kind).reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0);
}

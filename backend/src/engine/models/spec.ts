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

/** The shape the built-in models were designed for (MNIST): their catalogue figures are for it. */
export const MNIST_INPUT_SHAPE: readonly number[] = [28, 28, 1];
export const MNIST_CLASSES = 10;

/** Height and width after `n` rounds of 'same' convolution + 2×2 'valid' max pooling. */
function pooledSize(size: number, n: number): number {
  let s = size;
  for (let i = 0; i < n; i++) s = Math.floor(s / 2);
  return s;
}

/**
 * Parameter tensors of a built-in architecture for any input shape and class count: the CNN
 * needs [height, width, channels] of at least 4×4 (two 2×2 poolings), the 2NN and logistic
 * regression flatten whatever they get (images or a row of table features).
 */
export function builtinParamSpecs(
  kind: ModelKind,
  inputShape: readonly number[],
  numClasses: number,
): ParamSpec[] {
  const inputs = inputShape.reduce((a, b) => a * b, 1);
  switch (kind) {
    case "cnn": {
      if (inputShape.length !== 3)
        throw new RangeError(
          `the CNN needs image input [height, width, channels], got [${inputShape.join(", ")}]; use "2nn" or "logreg" for table rows`,
        );
      const [h, w, c] = inputShape as [number, number, number];
      const ph = pooledSize(h, 2);
      const pw = pooledSize(w, 2);
      if (ph < 1 || pw < 1)
        throw new RangeError(`the CNN needs images of at least 4×4 pixels, got ${h}×${w}`);
      // conv5x5x32 'same' + ReLU, maxpool 2x2, conv5x5x64 'same' + ReLU, maxpool 2x2, fc512 +
      // ReLU, fc(classes). On MNIST: 832 + 51,264 + 1,606,144 + 5,130 = 1,663,370 parameters.
      return [
        ...conv("conv1", 5, c, 32),
        ...conv("conv2", 5, 32, 64),
        ...dense("fc1", ph * pw * 64, 512),
        ...dense("fc2", 512, numClasses),
      ];
    }
    // inputs-200-200-classes with ReLU: 199,210 parameters on MNIST.
    case "2nn":
      return [
        ...dense("fc1", inputs, 200),
        ...dense("fc2", 200, 200),
        ...dense("fc3", 200, numClasses),
      ];
    // inputs-classes softmax regression: 7,850 parameters on MNIST.
    case "logreg":
      return dense("fc", inputs, numClasses);
    default:
      throw new Error(
        `unknown model kind "${String(kind)}"; expected one of ${MODEL_KINDS.join(", ")}`,
      );
  }
}

const SPECS = Object.fromEntries(
  MODEL_IDS.map((k) => [k, builtinParamSpecs(k, MNIST_INPUT_SHAPE, MNIST_CLASSES)]),
) as Record<ModelKind, ParamSpec[]>;

/** Parameter tensors of a built-in model on MNIST-shaped data, in flat-vector order. */
export function paramSpecs(kind: ModelKind): readonly ParamSpec[] {
  const s = SPECS[kind];
  if (!s)
    throw new Error(
      `unknown model kind "${String(kind)}"; expected one of ${MODEL_KINDS.join(", ")}`,
    );
  return s;
}

/** Number of trainable parameters of a built-in model on MNIST-shaped data. */
export function parameterCount(kind: ModelKind): number {
  return paramSpecs(kind).reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0);
}

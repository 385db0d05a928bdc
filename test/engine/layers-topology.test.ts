import * as tf from "@tensorflow/tfjs";
import { expect } from "chai";
import { Rng, selectBackend, type ParamSpec } from "../../backend/src/engine/index.js";
import {
  DEFAULT_MAX_PARAMETERS,
  LAYERS_ALLOW_LIST,
  ModelTopologyError,
  buildLayersTopology,
  type LayersTopologyModel,
} from "../../backend/src/engine/models/layers-topology.js";
import "../helpers/chai-near.js";

type Json = Record<string, unknown>;

const glorot = { kernelInitializer: "glorotUniform" } as const;

/** conv2d 3x3 same relu -> maxPool 2 -> flatten -> dense relu -> dense softmax on [12,12,3]. */
function cnnModel(): tf.Sequential {
  const m = tf.sequential();
  m.add(
    tf.layers.conv2d({
      ...glorot,
      inputShape: [12, 12, 3],
      filters: 4,
      kernelSize: 3,
      padding: "same",
      activation: "relu",
    }),
  );
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ ...glorot, units: 8, activation: "relu" }));
  m.add(tf.layers.dense({ ...glorot, units: 5, activation: "softmax" }));
  return m;
}

/** MLP on [7] tabular features: tanh, sigmoid, relu, then softmax over 3 classes. */
function mlpModel(): tf.Sequential {
  const m = tf.sequential();
  m.add(tf.layers.dense({ ...glorot, inputShape: [7], units: 16, activation: "tanh" }));
  m.add(tf.layers.dense({ ...glorot, units: 12, activation: "sigmoid" }));
  m.add(tf.layers.dense({ ...glorot, units: 6, activation: "relu", useBias: false }));
  m.add(tf.layers.dense({ ...glorot, units: 3, activation: "softmax" }));
  return m;
}

/** Other layers: InputLayer, Reshape, strided valid conv, pools, Dense on rank 3, GAP, Activation. */
function mixedModel(): tf.Sequential {
  const m = tf.sequential();
  m.add(tf.layers.inputLayer({ inputShape: [96] }));
  m.add(tf.layers.reshape({ targetShape: [8, 4, 3] }));
  const conv = { ...glorot, filters: 5, kernelSize: [3, 2] as [number, number], strides: 2 };
  m.add(tf.layers.conv2d({ ...conv, padding: "valid", useBias: false }));
  m.add(tf.layers.activation({ activation: "tanh" }));
  m.add(tf.layers.averagePooling2d({ poolSize: 2, strides: 1, padding: "same" }));
  m.add(tf.layers.conv2d({ ...glorot, filters: 6, kernelSize: 1, activation: "sigmoid" }));
  m.add(tf.layers.maxPooling2d({ poolSize: [2, 1], strides: [1, 1], padding: "valid" }));
  m.add(tf.layers.dense({ ...glorot, units: 3, activation: "relu" })); // on [2,2,6]
  m.add(tf.layers.globalAveragePooling2d({}));
  m.add(tf.layers.dense({ ...glorot, units: 4 }));
  m.add(tf.layers.activation({ activation: "softmax" }));
  return m;
}

/** Deterministic flat weights (uniform in [-0.5, 0.5), not zero biases: a stronger check). */
function randomFlat(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.next() - 0.5);
}

/** Splits a flat vector per ParamSpec order (what a worker does with a run's weights). */
function unflatten(params: readonly ParamSpec[], flat: Float32Array): tf.Tensor[] {
  let off = 0;
  return params.map((p) => {
    const size = p.shape.reduce((a, b) => a * b, 1);
    const t = tf.tensor(flat.subarray(off, off + size), p.shape, "float32");
    off += size;
    return t;
  });
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

/**
 * Builds `model`'s toJSON with buildLayersTopology, loads the same weights into both, and
 * compares softmax(our logits) with model.predict on a random batch.
 */
function expectSameAsTfjs(model: tf.Sequential, inputShape: number[], classes: number): void {
  const built = buildLayersTopology(model.toJSON(), inputShape, classes);
  expect(built.params.map((p) => p.shape)).to.deep.equal(model.getWeights().map((w) => w.shape));
  const flat = randomFlat(built.parameterCount, 7);
  const ts = unflatten(built.params, flat);
  const x = tf.randomUniform([6, ...inputShape], -1, 1, "float32", 11);
  try {
    model.setWeights(ts);
    const theirs = model.predict(x) as tf.Tensor;
    const ours = tf.tidy(() => tf.softmax(built.forward(ts, x)));
    expect(ours.shape).to.deep.equal([6, classes]);
    expect(maxAbsDiff(ours, theirs)).to.be.lessThan(1e-5);
    const size = inputShape.reduce((a, b) => a * b, 1);
    const flatX = tf.tidy(() => tf.softmax(built.forward(ts, x.reshape([6, size]))));
    expect(maxAbsDiff(flatX, ours)).to.equal(0);
    tf.dispose([theirs, ours, flatX]);
  } finally {
    tf.dispose([...ts, x]);
    model.dispose();
  }
}

/** Runs `fn` and returns the ModelTopologyError it throws (fails if it throws anything else). */
function refusal(fn: () => unknown): ModelTopologyError {
  try {
    fn();
  } catch (e) {
    expect(e).to.be.instanceOf(ModelTopologyError);
    return e as ModelTopologyError;
  }
  expect.fail("expected a ModelTopologyError");
}

function topo(model: tf.Sequential): Json {
  const t = model.toJSON(null, false) as Json;
  model.dispose();
  return t;
}

/** A Python-Keras-style hand-written Sequential topology (snake_case, GlorotUniform). */
function kerasTopology(layers: Json[]): Json {
  return { class_name: "Sequential", config: { name: "seq", layers }, keras_version: "2.15.0" };
}

const denseLayer = (name: string, units: number, extra: Json = {}): Json => ({
  class_name: "Dense",
  config: {
    name,
    units,
    activation: "relu",
    use_bias: true,
    kernel_initializer: { class_name: "GlorotUniform", config: { seed: 42 } },
    bias_initializer: { class_name: "Zeros", config: {} },
    kernel_regularizer: null,
    ...extra,
  },
});

describe("engine: TF.js Layers topology interpreter", () => {
  before(async () => {
    await selectBackend();
  });

  it("builds a conv net identically to tf.sequential (same weights, same outputs)", () => {
    expectSameAsTfjs(cnnModel(), [12, 12, 3], 5);
  });

  it("builds an MLP on tabular features identically to tf.sequential", () => {
    expectSameAsTfjs(mlpModel(), [7], 3);
  });

  it("builds Reshape, strided valid conv, avg/max pooling, GAP and Activation identically", () => {
    expectSameAsTfjs(mixedModel(), [96], 4);
  });

  it("has Keras getWeights() order, names, fans, inits and one line per layer", () => {
    const m = cnnModel();
    const names = m.layers.map((l) => l.name);
    const built = buildLayersTopology(topo(m), [12, 12, 3], 5);
    expect(built.params.map((p) => p.name)).to.deep.equal([
      `${names[0]}.kernel`,
      `${names[0]}.bias`,
      `${names[3]}.kernel`,
      `${names[3]}.bias`,
      `${names[4]}.kernel`,
      `${names[4]}.bias`,
    ]);
    expect(built.params.map((p) => p.init)).to.deep.equal([
      "glorot",
      "zeros",
      "glorot",
      "zeros",
      "glorot",
      "zeros",
    ]);
    expect(built.params.map((p) => [p.fanIn, p.fanOut])).to.deep.equal([
      [27, 36],
      [27, 36],
      [144, 8],
      [144, 8],
      [8, 5],
      [8, 5],
    ]);
    expect(built.parameterCount).to.equal(112 + 1160 + 45);
    expect(built.layers).to.deep.equal([
      "Conv2D 3x3x4 same relu -> [12,12,4]",
      "MaxPooling2D 2x2 valid -> [6,6,4]",
      "Flatten -> [144]",
      "Dense 8 relu -> [8]",
      "Dense 5 softmax (as logits) -> [5]",
    ]);
    const mixed = buildLayersTopology(topo(mixedModel()), [96], 4);
    expect(mixed.layers).to.deep.equal([
      "InputLayer -> [96]",
      "Reshape -> [8,4,3]",
      "Conv2D 3x2x5 stride 2x2 valid linear no-bias -> [3,2,5]",
      "Activation tanh -> [3,2,5]",
      "AveragePooling2D 2x2 stride 1x1 same -> [3,2,5]",
      "Conv2D 1x1x6 valid sigmoid -> [3,2,6]",
      "MaxPooling2D 2x1 stride 1x1 valid -> [2,2,6]",
      "Dense 3 relu -> [2,2,3]",
      "GlobalAveragePooling2D -> [3]",
      "Dense 4 linear -> [4]",
      "Activation softmax (as logits) -> [4]",
    ]);
  });

  it("is deterministic: the object, its JSON string and a model.json wrapper build the same", () => {
    const t = topo(cnnModel());
    const a = buildLayersTopology(t, [12, 12, 3], 5);
    const b = buildLayersTopology(JSON.stringify(t), [12, 12, 3], 5);
    const c = buildLayersTopology({ modelTopology: t, weightsManifest: [] }, [12, 12, 3], 5);
    const d = buildLayersTopology({ modelTopology: JSON.stringify(t) }, [12, 12, 3], 5);
    for (const other of [b, c, d]) {
      expect(other.params).to.deep.equal(a.params);
      expect(other.layers).to.deep.equal(a.layers);
      expect(other.parameterCount).to.equal(a.parameterCount);
    }
  });

  it("differentiates forward with tf.grads and an SGD step lowers the loss", () => {
    for (const [model, shape, classes] of [
      [cnnModel(), [12, 12, 3], 5],
      [mixedModel(), [96], 4],
    ] as const) {
      const built = buildLayersTopology(topo(model), shape, classes);
      const ts = unflatten(built.params, randomFlat(built.parameterCount, 3));
      const x = tf.randomUniform([8, ...shape], -1, 1, "float32", 5);
      const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 0, 1, 2, 3], "int32"), classes);
      const loss = (...p: tf.Tensor[]): tf.Scalar =>
        tf.losses.softmaxCrossEntropy(y, built.forward(p, x)) as tf.Scalar;
      const before = tf.tidy(() => loss(...ts).dataSync()[0]!);
      const grads = tf.grads(loss)(ts);
      expect(grads.map((g) => g.shape)).to.deep.equal(built.params.map((p) => p.shape));
      const norms = grads.map((g) => tf.tidy(() => tf.norm(g).dataSync()[0]!));
      expect(norms.every((n) => Number.isFinite(n))).to.equal(true);
      expect(norms.some((n) => n > 0)).to.equal(true);
      const stepped = ts.map((t, i) => tf.tidy(() => tf.sub(t, tf.mul(grads[i]!, 0.05))));
      const after = tf.tidy(() => loss(...stepped).dataSync()[0]!);
      expect(after).to.be.lessThan(before);
      tf.dispose([...ts, ...grads, ...stepped, x, y]);
    }
  });

  it("accepts hand-written Keras JSON: InputLayer, batch_shape, camelCase, defaults", () => {
    const keras = kerasTopology([
      { class_name: "InputLayer", config: { batch_input_shape: [null, 7], name: "in" } },
      denseLayer("dense_1", 10),
      denseLayer("dense_2", 3, { activation: "softmax" }),
    ]);
    const a = buildLayersTopology(keras, [7], 3);
    expect(a.params.map((p) => p.name)).to.deep.equal([
      "dense_1.kernel",
      "dense_1.bias",
      "dense_2.kernel",
      "dense_2.bias",
    ]);
    expect(a.parameterCount).to.equal(7 * 10 + 10 + 10 * 3 + 3);
    const dtype = { module: "keras", class_name: "DTypePolicy", config: { name: "float32" } };
    const keras3 = kerasTopology([
      {
        module: "keras.layers",
        class_name: "InputLayer",
        config: { batch_shape: [null, 4, 4, 1] },
      },
      { class_name: "Conv2D", config: { filters: 2, kernel_size: [3, 3], padding: "same" } },
      { class_name: "Flatten", config: {} },
      { class_name: "Dense", config: { units: 2, kernel_initializer: "glorot_uniform", dtype } },
    ]);
    const b = buildLayersTopology(keras3, [4, 4, 1], 2);
    expect(b.params.map((p) => p.name)).to.deep.equal([
      "conv2d_2.kernel",
      "conv2d_2.bias",
      "dense_4.kernel",
      "dense_4.bias",
    ]);
    const camel = kerasTopology([
      {
        class_name: "Conv2D",
        config: { batchInputShape: [null, 6, 6, 2], filters: 3, kernelSize: 2, useBias: false },
      },
      { class_name: "GlobalAveragePooling2D", config: { dataFormat: "channels_last" } },
    ]);
    const c = buildLayersTopology(camel, [6, 6, 2], 3);
    expect(c.params.map((p) => p.shape)).to.deep.equal([[2, 2, 2, 3]]);
    expect(c.layers).to.deep.equal([
      "Conv2D 2x2x3 valid linear no-bias -> [5,5,3]",
      "GlobalAveragePooling2D -> [3]",
    ]);
  });

  it("exports the allow-list and the default parameter cap", () => {
    expect(LAYERS_ALLOW_LIST).to.deep.equal([
      "InputLayer",
      "Dense",
      "Conv2D",
      "MaxPooling2D",
      "AveragePooling2D",
      "GlobalAveragePooling2D",
      "Flatten",
      "Reshape",
      "Activation",
    ]);
    expect(DEFAULT_MAX_PARAMETERS).to.equal(10_000_000);
  });

  it("refuses Dropout and BatchNormalization, naming the layer and the allowed classes", () => {
    const m = tf.sequential();
    m.add(tf.layers.dense({ ...glorot, inputShape: [7], units: 8 }));
    m.add(tf.layers.dropout({ rate: 0.5 }));
    m.add(tf.layers.dense({ ...glorot, units: 3 }));
    const e = refusal(() => buildLayersTopology(m.toJSON(), [7], 3));
    m.dispose();
    expect(e.message).to.match(
      /^layer 1 \(Dropout "dropout_\w+"\): layer class Dropout is not supported/,
    );
    expect(e.message).to.include(`allowed: ${LAYERS_ALLOW_LIST.join(", ")}`);
    const bn = kerasTopology([
      denseLayer("d", 3),
      { class_name: "BatchNormalization", config: {} },
    ]);
    expect(refusal(() => buildLayersTopology(bn, [7], 3)).message).to.match(
      /layer 1 \(BatchNormalization\).*training and inference/,
    );
    const lstm = kerasTopology([{ class_name: "LSTM", config: { units: 3 } }]);
    expect(refusal(() => buildLayersTopology(lstm, [7], 3)).message).to.match(
      /layer 0 \(LSTM\): layer class LSTM is not supported/,
    );
  });

  it("refuses a functional model and other model classes", () => {
    const input = tf.input({ shape: [4] });
    const output = tf.layers.dense({ ...glorot, units: 2 }).apply(input) as tf.SymbolicTensor;
    const fm = tf.model({ inputs: input, outputs: output });
    const e = refusal(() => buildLayersTopology(fm.toJSON(), [4], 2));
    fm.dispose();
    expect(e.message).to.match(/functional models.*not supported.*tf\.sequential\(\)/);
    expect(
      refusal(() => buildLayersTopology({ class_name: "Graph", config: {} }, [4], 2)).message,
    ).to.include('"Graph" is not supported');
  });

  it("refuses a last layer that does not output [numClasses], naming both numbers", () => {
    const e = refusal(() => buildLayersTopology(topo(cnnModel()), [12, 12, 3], 10));
    expect(e.message).to.match(/last layer outputs \[5\].*10 classes.*must output \[10\]/);
    const noFlatten = kerasTopology([
      { class_name: "Conv2D", config: { filters: 2, kernel_size: 3 } },
    ]);
    expect(refusal(() => buildLayersTopology(noFlatten, [5, 5, 1], 2)).message).to.match(
      /outputs \[3,3,2\].*after Flatten/,
    );
  });

  it("refuses a declared input shape that differs from the run's data shape, saying both", () => {
    const e = refusal(() => buildLayersTopology(topo(cnnModel()), [28, 28, 1], 5));
    expect(e.message).to.match(
      /^layer 0 \(Conv2D "conv2d_\w+"\) declares batch_input_shape \[null,12,12,3\]/,
    );
    expect(e.message).to.include("[null,28,28,1]");
    const fixedBatch = kerasTopology([denseLayer("d", 3, { batch_input_shape: [32, 7] })]);
    expect(refusal(() => buildLayersTopology(fixedBatch, [7], 3)).message).to.include(
      "batch_input_shape [32,7]",
    );
  });

  it("refuses conv/pool layers on tabular data, saying they need rank-3 input", () => {
    const t = kerasTopology([
      { class_name: "Conv2D", config: { filters: 2, kernel_size: 3 } },
      { class_name: "Flatten", config: {} },
    ]);
    const e = refusal(() => buildLayersTopology(t, [30], 2));
    expect(e.message).to.match(
      /layer 0 \(Conv2D\): Conv2D needs rank-3 input .* gets \[30\] \(tabular features/,
    );
    const pool = kerasTopology([denseLayer("d", 4), { class_name: "MaxPooling2D", config: {} }]);
    expect(refusal(() => buildLayersTopology(pool, [30], 2)).message).to.match(
      /MaxPooling2D needs rank-3 input/,
    );
  });

  it("refuses a model over the parameter cap, with the count", () => {
    const e = refusal(() =>
      buildLayersTopology(topo(cnnModel()), [12, 12, 3], 5, { maxParameters: 1000 }),
    );
    expect(e.message).to.match(/at least 1,272 parameters, more than the limit of 1,000/);
    const big = kerasTopology([
      denseLayer("d1", 4000),
      denseLayer("d2", 4000),
      denseLayer("d3", 2),
    ]);
    expect(refusal(() => buildLayersTopology(big, [7], 2)).message).to.match(
      /layer 1 .*16,036,000 parameters.*10,000,000/,
    );
  });

  it("refuses bad JSON and non-topologies with actionable messages", () => {
    expect(refusal(() => buildLayersTopology("{not json", [7], 3)).message).to.match(
      /not valid JSON.*model\.toJSON\(\)/,
    );
    expect(refusal(() => buildLayersTopology(42, [7], 3)).message).to.include(
      'class_name "Sequential"',
    );
    expect(refusal(() => buildLayersTopology({ modelTopology: "[1" }, [7], 3)).message).to.include(
      "not valid JSON",
    );
    const noLayers = kerasTopology([]);
    expect(refusal(() => buildLayersTopology(noLayers, [7], 3)).message).to.include(
      "at least one layer",
    );
    const badLayer = { class_name: "Sequential", config: { layers: [{ class_name: "Dense" }] } };
    expect(refusal(() => buildLayersTopology(badLayer, [7], 3)).message).to.match(
      /config\.layers\.0\.config/,
    );
    const noUnits = kerasTopology([denseLayer("d", 3, { units: "three" })]);
    expect(refusal(() => buildLayersTopology(noUnits, [7], 3)).message).to.match(
      /layer 0 \(Dense "d"\): units: /,
    );
  });

  it("refuses unsupported initializers, regularizers, activations and options", () => {
    const refuses = (layers: Json[], shape: number[], pattern: RegExp): void => {
      expect(refusal(() => buildLayersTopology(kerasTopology(layers), shape, 3)).message).to.match(
        pattern,
      );
    };
    const dense = (extra: Json): Json[] => [denseLayer("d", 3, extra)];
    const conv = (extra: Json): Json[] => [
      { class_name: "Conv2D", config: { filters: 2, kernel_size: 3, ...extra } },
      { class_name: "Flatten", config: {} },
    ];
    // Glorot-normal (TF.js's default) is accepted: the kernels are drawn Glorot-uniform anyway.
    const normal = { scale: 1, mode: "fan_avg", distribution: "normal" };
    const varianceScaling = { class_name: "VarianceScaling", config: normal };
    expect(
      buildLayersTopology(kerasTopology(dense({ kernel_initializer: varianceScaling })), [7], 3)
        .parameterCount,
    ).to.equal(24);
    const fanIn = { class_name: "VarianceScaling", config: { ...normal, mode: "fan_in" } };
    refuses(
      dense({ kernel_initializer: fanIn }),
      [7],
      /kernel_initializer VarianceScaling.*only Glorot \(uniform or normal\)/,
    );
    const he = { class_name: "HeNormal" };
    refuses(dense({ kernel_initializer: he }), [7], /kernel_initializer HeNormal is not supported/);
    const ones = { class_name: "Ones" };
    refuses(dense({ bias_initializer: ones }), [7], /bias_initializer Ones .*; only Zeros/);
    const l2 = { class_name: "L2", config: { l2: 0.01 } };
    refuses(dense({ kernel_regularizer: l2 }), [7], /kernel_regularizer must be null/);
    const nonNeg = { class_name: "NonNeg" };
    refuses(dense({ bias_constraint: nonNeg }), [7], /bias_constraint must be null/);
    refuses(
      dense({ activation: "elu" }),
      [7],
      /"elu" .*allowed: linear, relu, sigmoid, tanh, softmax/,
    );
    const softmaxFirst = [denseLayer("d", 4, { activation: "softmax" }), denseLayer("e", 3)];
    refuses(softmaxFirst, [7], /layer 0 .*softmax is only allowed as the activation of the last/);
    refuses(dense({ trainable: false }), [7], /trainable: must be true/);
    refuses(dense({ dtype: "float16" }), [7], /dtype: must be "float32"/);
    const mixedPolicy = { class_name: "DTypePolicy", config: { name: "mixed_float16" } };
    refuses(dense({ dtype: mixedPolicy }), [7], /dtype: must be "float32"/);
    refuses(conv({ data_format: "channels_first" }), [4, 4, 1], /data_format: must be "channels_l/);
    refuses(conv({ dilation_rate: [2, 2] }), [6, 6, 1], /dilation_rate: must be 1/);
    refuses(conv({ padding: "causal" }), [6, 6, 1], /padding: must be "same" or "valid"/);
    refuses(conv({ kernel_size: 5 }), [4, 4, 1], /window 5 is larger than the input size 4 with/);
    const reshape = [{ class_name: "Reshape", config: { target_shape: [4, 2] } }];
    refuses(reshape, [7], /target_shape \[4,2\] does not fit the input \[7\]/);
    const lateInput = [denseLayer("d", 3), { class_name: "InputLayer", config: {} }];
    refuses(lateInput, [7], /layer 1 \(InputLayer\): InputLayer is only allowed as the first/);
    refuses([denseLayer("d", 3), denseLayer("d", 3)], [7], /layer name "d" is used twice/);
    refuses([{ class_name: "Flatten", config: {} }], [3], /no trainable parameters/);
  });

  it("refuses bad arguments and checks the batch shape given to forward", () => {
    const t = kerasTopology([denseLayer("d", 3)]);
    expect(refusal(() => buildLayersTopology(t, [], 3)).message).to.match(/^inputShape/);
    expect(refusal(() => buildLayersTopology(t, [7], 0)).message).to.match(/^numClasses/);
    const built: LayersTopologyModel = buildLayersTopology(t, [7], 3);
    const ts = unflatten(built.params, randomFlat(built.parameterCount, 1));
    const x = tf.zeros([2, 8]);
    expect(() => built.forward(ts, x)).to.throw(RangeError, /x must have shape \[B,7\]/);
    expect(() => built.forward(ts.slice(1), tf.zeros([2, 7]))).to.throw(
      RangeError,
      /2 parameter tensors, got 1/,
    );
    tf.dispose([...ts, x]);
  });
});

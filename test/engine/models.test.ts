import * as tf from "@tensorflow/tfjs";
import { expect } from "chai";
import {
  flattenWeights,
  forward,
  initialWeights,
  parameterCount,
  selectBackend,
  paramSpecs,
  unflattenWeights,
} from "../../backend/src/engine/index.js";

/** Bit-for-bit equality of two weight vectors (chai's deep equal takes seconds on 1.7M floats). */
function sameBits(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
}

describe("engine models and flat weights", () => {
  before(async () => {
    await selectBackend();
  });

  it("has the FedAvg paper's parameter counts", () => {
    expect(parameterCount("cnn")).to.equal(1_663_370);
    expect(parameterCount("2nn")).to.equal(199_210);
    expect(parameterCount("logreg")).to.equal(7_850);
    expect(paramSpecs("cnn").map((p) => p.name)).to.deep.equal([
      "conv1.kernel",
      "conv1.bias",
      "conv2.kernel",
      "conv2.bias",
      "fc1.kernel",
      "fc1.bias",
      "fc2.kernel",
      "fc2.bias",
    ]);
  });

  it("initialWeights is deterministic, Glorot-scaled, zero biases", () => {
    const a = initialWeights("2nn", 3);
    expect(sameBits(a, initialWeights("2nn", 3))).to.equal(true);
    expect(sameBits(a, initialWeights("2nn", 4))).to.equal(false);
    const limit = Math.sqrt(6 / (784 + 200));
    const k = a.subarray(0, 784 * 200);
    expect(k.reduce((m, v) => Math.max(m, v), -Infinity))
      .to.be.at.most(limit)
      .and.greaterThan(limit * 0.99);
    expect(Array.from(a.subarray(784 * 200, 784 * 200 + 200)).every((v) => v === 0)).to.equal(true);
  });

  it("flatten(unflatten(w)) === w and the forward pass has logits of shape [B, 10]", () => {
    for (const kind of ["cnn", "2nn", "logreg"] as const) {
      const w = initialWeights(kind, 1);
      const ts = unflattenWeights(kind, w);
      expect(ts.map((t) => t.shape)).to.deep.equal(paramSpecs(kind).map((p) => p.shape));
      expect(sameBits(flattenWeights(ts), w), kind).to.equal(true);
      const logits = tf.tidy(() => forward(kind, ts, tf.zeros([2, 28, 28, 1])));
      expect(logits.shape).to.deep.equal([2, 10]);
      logits.dispose();
      ts.forEach((t) => t.dispose());
    }
    expect(() => unflattenWeights("2nn", new Float32Array(5))).to.throw(/199210 values/);
  });
});

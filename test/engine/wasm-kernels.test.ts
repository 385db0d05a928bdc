import * as tf from "@tensorflow/tfjs";
import { expect } from "chai";
import { selectBackend } from "../../backend/src/engine/index.js";
import { Rng } from "../../backend/src/engine/rng.js";

/**
 * The engine's wasm training kernels against the reference cpu backend. Tolerance: 1e-4
 * ABSOLUTE per element on gradients whose magnitudes are O(1..10) (inputs and filters uniform
 * in [-1, 1]), i.e. float32 summation-order noise only.
 */
const TOL = 1e-4;

function rand(n: number, seed: number): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => 2 * r.next() - 1);
}

type Case = {
  name: string;
  x: [number, number, number, number];
  f: [number, number, number, number];
  strides: number;
  pad: "same" | "valid";
};

const CASES: Case[] = [
  {
    name: "5x5 same (FedAvg conv2-like)",
    x: [3, 9, 9, 4],
    f: [5, 5, 4, 6],
    strides: 1,
    pad: "same",
  },
  {
    name: "5x5 same, 1 input channel",
    x: [2, 12, 12, 1],
    f: [5, 5, 1, 3],
    strides: 1,
    pad: "same",
  },
  { name: "3x3 valid", x: [2, 7, 8, 3], f: [3, 3, 3, 5], strides: 1, pad: "valid" },
  { name: "3x3 same stride 2", x: [2, 9, 9, 2], f: [3, 3, 2, 4], strides: 2, pad: "same" },
];

/** Gradients of sum(conv(x, f) * g) for fixed random g, on the current backend. */
function convGrads(c: Case, withRelu: boolean): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.tensor4d(
      rand(
        c.x.reduce((a, b) => a * b),
        1,
      ),
      c.x,
    );
    const f = tf.tensor4d(
      rand(
        c.f.reduce((a, b) => a * b),
        2,
      ),
      c.f,
    );
    const bias = tf.tensor1d(rand(c.f[3], 3));
    const y = withRelu
      ? tf.fused.conv2d({ x, filter: f, strides: c.strides, pad: c.pad, bias, activation: "relu" })
      : tf.conv2d(x, f, c.strides, c.pad);
    const g = tf.tensor(rand(y.size, 4), y.shape);
    const fn = (xx: tf.Tensor, ff: tf.Tensor) =>
      (withRelu
        ? tf.fused.conv2d({
            x: xx as tf.Tensor4D,
            filter: ff as tf.Tensor4D,
            strides: c.strides,
            pad: c.pad,
            bias,
            activation: "relu",
          })
        : tf.conv2d(xx as tf.Tensor4D, ff as tf.Tensor4D, c.strides, c.pad)
      )
        .mul(g)
        .sum();
    const [dx, df] = tf.grads(fn)([x, f]);
    return [
      dx!.dataSync() as Float32Array,
      df!.dataSync() as Float32Array,
      y.dataSync() as Float32Array,
    ];
  });
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).to.equal(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe("engine wasm training kernels (vs cpu backend, 1e-4 absolute)", () => {
  before(async () => {
    await selectBackend("wasm");
    await tf.setBackend("wasm");
  });
  after(async () => {
    await tf.setBackend("wasm");
  });

  async function onBackend<T>(name: string, fn: () => T): Promise<T> {
    await tf.setBackend(name);
    try {
      return fn();
    } finally {
      await tf.setBackend("wasm");
    }
  }

  for (const c of CASES) {
    for (const relu of [false, true]) {
      it(`conv2d ${c.name}${relu ? " (fused bias+relu)" : ""}: filter and input gradients`, async () => {
        const cpu = await onBackend("cpu", () => convGrads(c, relu));
        const wasm = await onBackend("wasm", () => convGrads(c, relu));
        expect(maxAbsDiff(wasm[2]!, cpu[2]!), "forward").to.be.lessThan(TOL);
        expect(maxAbsDiff(wasm[0]!, cpu[0]!), "dL/dx").to.be.lessThan(TOL);
        expect(maxAbsDiff(wasm[1]!, cpu[1]!), "dL/dfilter").to.be.lessThan(TOL);
      });
    }
  }

  for (const [ta, tb] of [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ] as const) {
    it(`matMul transposeA=${ta} transposeB=${tb} (dense-layer gradients)`, async () => {
      const run = () =>
        tf.tidy(() => {
          const a = tf.tensor2d(rand(37 * 53, 5), ta ? [53, 37] : [37, 53]);
          const b = tf.tensor2d(rand(53 * 29, 6), tb ? [29, 53] : [53, 29]);
          return tf.matMul(a, b, ta, tb).dataSync() as Float32Array;
        });
      const cpu = await onBackend("cpu", run);
      const wasm = await onBackend("wasm", run);
      expect(maxAbsDiff(wasm, cpu)).to.be.lessThan(TOL);
    });
  }

  it("leaves no tensors or wasm buffers behind", async () => {
    const c = CASES[0]!;
    convGrads(c, true);
    const before = tf.memory();
    for (let i = 0; i < 5; i++) convGrads(c, true);
    const after = tf.memory();
    expect(after.numTensors).to.equal(before.numTensors);
    expect(after.numBytes).to.equal(before.numBytes);
  });
});

describe("engine wasm MaxPoolGrad (vs cpu backend)", () => {
  before(async () => {
    await selectBackend("wasm");
  });

  const POOL_CASES: [string, [number, number, number, number], number, number, "valid" | "same"][] =
    [
      ["2x2/2 valid (FedAvg CNN)", [2, 8, 8, 5], 2, 2, "valid"],
      ["3x3/2 same, odd sizes", [2, 9, 7, 3], 3, 2, "same"],
      ["3x3/1 same, overlapping windows", [1, 6, 6, 2], 3, 1, "same"],
    ];
  for (const [name, shape, size, stride, pad] of POOL_CASES) {
    it(`maxPool ${name}: input gradient`, async () => {
      const run = () =>
        tf.tidy(() => {
          const x = tf.tensor4d(
            rand(
              shape.reduce((a, b) => a * b, 1),
              11,
            ),
            shape,
          );
          const y = tf.maxPool(x, size, stride, pad);
          const g = tf.tensor(rand(y.size, 12), y.shape);
          const dx = tf.grad((xx: tf.Tensor) =>
            tf
              .maxPool(xx as tf.Tensor4D, size, stride, pad)
              .mul(g)
              .sum(),
          )(x);
          return dx.dataSync() as Float32Array;
        });
      await tf.setBackend("cpu");
      const cpu = run();
      await tf.setBackend("wasm");
      const wasm = run();
      expect(maxAbsDiff(wasm, cpu)).to.be.lessThan(TOL);
    });
  }
});

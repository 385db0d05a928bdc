import * as tf from "@tensorflow/tfjs";
import type { ModelKind } from "./catalogue.js";

/**
 * Logits of a built-in model for a batch x ([B, ...inputShape] or [B, features]) given its
 * parameter tensors in `builtinParamSpecs` order. Pure function of its inputs, so tf.grads can
 * differentiate it. The class count is the last parameter's length.
 */
export function builtinForward(
  kind: ModelKind,
  inputShape: readonly number[],
  p: readonly tf.Tensor[],
  x: tf.Tensor,
): tf.Tensor2D {
  const batch = x.shape[0]!;
  const inputs = inputShape.reduce((a, b) => a * b, 1);
  switch (kind) {
    case "cnn": {
      const [w1, b1, w2, b2, w3, b3, w4, b4] = p as tf.Tensor[];
      const [h0, w0, c0] = inputShape as [number, number, number];
      let h: tf.Tensor4D = x.reshape([batch, h0, w0, c0]);
      h = tf.fused.conv2d({
        x: h,
        filter: w1 as tf.Tensor4D,
        strides: 1,
        pad: "same",
        bias: b1,
        activation: "relu",
      });
      h = tf.maxPool(h, 2, 2, "valid");
      h = tf.fused.conv2d({
        x: h,
        filter: w2 as tf.Tensor4D,
        strides: 1,
        pad: "same",
        bias: b2,
        activation: "relu",
      });
      h = tf.maxPool(h, 2, 2, "valid");
      const f = h.reshape([batch, h.shape[1] * h.shape[2] * h.shape[3]]);
      const d = tf.fused.matMul({ a: f, b: w3 as tf.Tensor2D, bias: b3, activation: "relu" });
      return tf.fused.matMul({ a: d, b: w4 as tf.Tensor2D, bias: b4 }) as tf.Tensor2D;
    }
    case "2nn": {
      const [w1, b1, w2, b2, w3, b3] = p as tf.Tensor[];
      const f = x.reshape([batch, inputs]) as tf.Tensor2D;
      const h1 = tf.fused.matMul({ a: f, b: w1 as tf.Tensor2D, bias: b1, activation: "relu" });
      const h2 = tf.fused.matMul({ a: h1, b: w2 as tf.Tensor2D, bias: b2, activation: "relu" });
      return tf.fused.matMul({ a: h2, b: w3 as tf.Tensor2D, bias: b3 }) as tf.Tensor2D;
    }
    case "logreg": {
      const [w, b] = p as tf.Tensor[];
      const f = x.reshape([batch, inputs]) as tf.Tensor2D;
      return tf.fused.matMul({ a: f, b: w as tf.Tensor2D, bias: b }) as tf.Tensor2D;
    }
    default:
      throw new Error(`unknown model kind "${String(kind)}"`);
  }
}

/** Mean softmax cross-entropy of logits against integer labels given as a one-hot matrix. */
export function crossEntropy(logits: tf.Tensor2D, oneHot: tf.Tensor2D): tf.Scalar {
  return tf.losses.softmaxCrossEntropy(oneHot, logits) as tf.Scalar;
}

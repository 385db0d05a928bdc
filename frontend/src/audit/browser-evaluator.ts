// The re-execution audit's evaluation in the browser: TensorFlow.js (WebGL, WASM or CPU, whatever
// this browser offers) running the engine's own forward pass, loaded only when a round is
// re-executed. The loss is the coordinator's: softmax cross-entropy summed over batches of 500,
// divided by the number of samples. A different backend sums in a different order, which is what
// the audit's tolerance is for.
import type {
  EvaluatorFactory,
  ModelEvaluator,
} from "../../../backend/src/audit/recompute/recompute-types";

const BATCH = 500;

export function browserEvaluator(onModel?: () => void): EvaluatorFactory {
  return async (model, v): Promise<ModelEvaluator> => {
    const tf = await import("@tensorflow/tfjs");
    const { resolveModel } = await import("../../../backend/src/engine/models/model-ref");
    const { unflattenWeights } = await import("../../../backend/src/engine/weights");
    await tf.ready();
    const m = resolveModel(model);
    const d = m.sampleSize;
    const classes = m.numClasses;
    const x = tf.tensor2d(v.x, [v.n, d]);
    const y = tf.oneHot(tf.tensor1d(Int32Array.from(v.y), "int32"), classes);
    const lossOf = async (w: Float32Array) => {
      const params = unflattenWeights(model, w);
      try {
        let sum = 0;
        for (let s = 0; s < v.n; s += BATCH) {
          const n = Math.min(BATCH, v.n - s);
          const l = tf.tidy(() =>
            tf.losses.softmaxCrossEntropy(
              y.slice([s, 0], [n, classes]),
              m.forward(params, x.slice([s, 0], [n, d])),
              undefined,
              undefined,
              tf.Reduction.SUM,
            ),
          );
          sum += (await l.data())[0]!;
          l.dispose();
        }
        return sum / v.n;
      } finally {
        for (const p of params) p.dispose();
      }
    };
    return {
      async losses(models) {
        const out: number[] = [];
        for (const w of models) {
          out.push(await lossOf(w));
          onModel?.();
        }
        return out;
      },
      dispose() {
        x.dispose();
        y.dispose();
      },
    };
  };
}

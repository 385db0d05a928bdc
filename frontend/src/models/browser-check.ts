// Checking a model version in the browser: load it with TF.js (tf.loadLayersModel, from the served
// URL or from the files the user downloaded) and predict the run's validation split, the same bytes
// the coordinator scores contributions on. TF.js is imported on demand, so pages that never check
// a model do not download it.
import type { Tensor2D } from "@tensorflow/tfjs";
import { fetchArtifact } from "../api/client";

/** The validation artifact as the coordinator stores it: [n:u32 LE][x: n*784 float32][y: n uint8]. */
export function decodeValidation(buf: ArrayBuffer): { x: Float32Array; y: Uint8Array; n: number } {
  const n = new DataView(buf).getUint32(0, true);
  const xBytes = buf.byteLength - 4 - n;
  if (n === 0 || xBytes !== n * 784 * 4)
    throw new Error(`not a validation artifact (${buf.byteLength} bytes for ${n} samples)`);
  return { x: new Float32Array(buf.slice(4, 4 + xBytes)), y: new Uint8Array(buf, 4 + xBytes), n };
}

/** Where a model comes from: the coordinator's URL of its model.json, or downloaded files. */
export type ModelSource = { url: string } | { files: readonly File[] };

export interface BrowserCheck {
  /** The TF.js backend the page ran on (webgl, cpu, ...). */
  backend: string;
  parameters: number;
  samples: number;
  correct: number;
  /** The logits of the first sample (the exported model's last layer is linear). */
  firstLogits: number[];
  ms: number;
}

/** Loads the model from `source` and predicts the first `limit` validation samples. */
export async function checkInBrowser(
  source: ModelSource,
  validationHash: string,
  limit = 200,
): Promise<BrowserCheck> {
  const t0 = performance.now();
  const tf = await import("@tensorflow/tfjs");
  await tf.ready();
  const model =
    "url" in source
      ? await tf.loadLayersModel(source.url)
      : await tf.loadLayersModel(tf.io.browserFiles(orderFiles(source.files)));
  const { x, y, n } = decodeValidation(await fetchArtifact(validationHash));
  const samples = Math.min(limit, n);
  try {
    const logits = tf.tidy(() => {
      const input = tf.tensor4d(x.subarray(0, samples * 784), [samples, 28, 28, 1]);
      return model.predict(input) as Tensor2D;
    });
    const classes = logits.argMax(1);
    const [values, predicted] = await Promise.all([logits.data(), classes.data()]);
    tf.dispose([logits, classes]);
    let correct = 0;
    for (let i = 0; i < samples; i++) if (predicted[i] === y[i]) correct++;
    return {
      backend: tf.getBackend(),
      parameters: model.countParams(),
      samples,
      correct,
      firstLogits: Array.from(values.subarray(0, values.length / samples)),
      ms: performance.now() - t0,
    };
  } finally {
    model.dispose();
  }
}

/** tf.io.browserFiles wants model.json first, then its weight files. */
function orderFiles(files: readonly File[]): File[] {
  const json = files.filter((f) => f.name.endsWith(".json"));
  if (json.length !== 1)
    throw new Error("choose the version's model.json and its weights.bin (one .json file)");
  return [...json, ...files.filter((f) => !f.name.endsWith(".json"))];
}

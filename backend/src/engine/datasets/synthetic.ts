import { Rng } from "../rng.js";
import { IMAGE_SIZE, NUM_CLASSES, type RawDataset, type Split } from "./types.js";

/** Default sizes of the synthetic set: small so tests stay fast. */
export const SYNTHETIC_TRAIN = 2000;
export const SYNTHETIC_TEST = 1500;

/**
 * A learnable, seeded stand-in for MNIST: each class has a smooth random prototype image
 * (a few Gaussian blobs); samples are the prototype, shifted by up to one pixel, plus noise,
 * clipped to 0..1. A linear model reaches high accuracy on it in a few epochs.
 */
export function makeSynthetic(
  seed: number,
  trainN = SYNTHETIC_TRAIN,
  testN = SYNTHETIC_TEST,
): RawDataset {
  const rng = new Rng(seed);
  const protos: Float32Array[] = [];
  for (let c = 0; c < NUM_CLASSES; c++) {
    const p = new Float32Array(IMAGE_SIZE);
    for (let blob = 0; blob < 4; blob++) {
      const cy = 6 + rng.next() * 16;
      const cx = 6 + rng.next() * 16;
      const s2 = 2 * (1.5 + rng.next() * 2.5) ** 2;
      for (let r = 0; r < 28; r++)
        for (let q = 0; q < 28; q++) {
          const d = (r - cy) ** 2 + (q - cx) ** 2;
          p[r * 28 + q] = Math.max(p[r * 28 + q]!, Math.exp(-d / s2));
        }
    }
    protos.push(p);
  }
  const gen = (n: number): Split => {
    const x = new Float32Array(n * IMAGE_SIZE);
    const y = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const c = rng.int(NUM_CLASSES);
      y[i] = c;
      const p = protos[c]!;
      const dy = rng.int(3) - 1;
      const dx = rng.int(3) - 1;
      const off = i * IMAGE_SIZE;
      for (let r = 0; r < 28; r++)
        for (let q = 0; q < 28; q++) {
          const sr = r - dy;
          const sq = q - dx;
          const base = sr >= 0 && sr < 28 && sq >= 0 && sq < 28 ? p[sr * 28 + sq]! : 0;
          const v = base + 0.45 * rng.normal();
          x[off + r * 28 + q] = v < 0 ? 0 : v > 1 ? 1 : v;
        }
    }
    return { x, y, n };
  };
  return { train: gen(trainN), test: gen(testN) };
}

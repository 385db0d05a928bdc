import path from "node:path";
import { existsSync, readdirSync, statSync } from "node:fs";
import { DATASET_NAMES, type DatasetName, type DatasetSpec } from "../engine/index.js";

/** A node's own data: an image folder or a table, read with each run's spec when a task comes. */
export interface AgentOwnData {
  format: "image-folder" | "csv";
  /** Absolute path of the folder or file. */
  path: string;
  /** A table's label column (for the class counts the node announces). */
  label?: string;
}

/** Where a node's training data comes from, and which of its samples it trains on. */
export interface AgentData {
  /** As given on the command line, reported to the coordinator. */
  label: string;
  dataset: DatasetSpec;
  /** First and last (exclusive) training sample; undefined = all. */
  range?: { start: number; end: number };
  /** Own data (image folder or CSV/TSV table); `dataset` is then unused until a task's spec. */
  own?: AgentOwnData;
}

const IDX_IMAGES = "train-images-idx3-ubyte";

/**
 * `--data` forms:
 * - `<dataset>:<start>-<end>`: samples [start, end) of a dataset's training set on this machine
 *   (mnist, fashion-mnist or synthetic), e.g. `mnist:0-600`;
 * - `<dataset>`: its whole training set;
 * - a directory with MNIST-format idx files (train-images-idx3-ubyte, train-labels-idx1-ubyte);
 * - a folder of class subfolders of PNG/JPEG images (own data);
 * - a .csv or .tsv file with a header row (own data; `label` names its class column).
 */
export function parseAgentData(spec: string, opts: { label?: string } = {}): AgentData {
  const m = /^([a-z-]+)(?::(\d+)-(\d+))?$/.exec(spec);
  if (m && (DATASET_NAMES as readonly string[]).includes(m[1]!)) {
    const name = m[1] as DatasetName;
    if (m[2] === undefined) return { label: spec, dataset: { name } };
    const start = Number(m[2]);
    const end = Number(m[3]);
    if (!(end > start))
      throw new Error(`--data ${spec}: the range must be start-end with end > start`);
    return { label: spec, dataset: { name, trainLimit: end }, range: { start, end } };
  }
  const abs = path.resolve(spec);
  if (existsSync(abs) && statSync(abs).isDirectory()) {
    if (existsSync(path.join(abs, IDX_IMAGES)) || existsSync(path.join(abs, `${IDX_IMAGES}.gz`)))
      return { label: `idx:${abs}`, dataset: { name: "mnist", dir: abs } };
    const subfolders = readdirSync(abs, { withFileTypes: true }).filter(
      (e) => e.isDirectory() && !e.name.startsWith("."),
    );
    if (subfolders.length > 0)
      return {
        label: `images:${abs}`,
        dataset: { name: "own" },
        own: { format: "image-folder", path: abs },
      };
  }
  if (existsSync(abs) && statSync(abs).isFile() && /\.(csv|tsv)$/i.test(abs)) {
    return {
      label: `table:${abs}`,
      dataset: { name: "own" },
      own: { format: "csv", path: abs, label: opts.label ?? "label" },
    };
  }
  throw new Error(
    `--data ${spec}: expected <dataset>[:<start>-<end>] with dataset one of ${DATASET_NAMES.join(", ")}, a directory of MNIST-format idx files, a folder of class subfolders of images, or a .csv/.tsv file`,
  );
}

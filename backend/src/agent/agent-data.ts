import path from "node:path";
import { existsSync, statSync } from "node:fs";
import { DATASET_NAMES, type DatasetName, type DatasetSpec } from "../engine/index.js";

/** Where a node's training data comes from, and which of its samples it trains on. */
export interface AgentData {
  /** As given on the command line, reported to the coordinator. */
  label: string;
  dataset: DatasetSpec;
  /** First and last (exclusive) training sample; undefined = all. */
  range?: { start: number; end: number };
}

/**
 * `--data` forms:
 * - `<dataset>:<start>-<end>`: samples [start, end) of a dataset's training set on this machine
 *   (mnist, fashion-mnist or synthetic), e.g. `mnist:0-600`;
 * - `<dataset>`: its whole training set;
 * - a directory with MNIST-format idx files (train-images-idx3-ubyte, train-labels-idx1-ubyte).
 */
export function parseAgentData(spec: string): AgentData {
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
  const dir = path.resolve(spec);
  if (existsSync(dir) && statSync(dir).isDirectory()) {
    return { label: `idx:${dir}`, dataset: { name: "mnist", dir } };
  }
  throw new Error(
    `--data ${spec}: expected <dataset>[:<start>-<end>] with dataset one of ${DATASET_NAMES.join(", ")}, or a directory of MNIST-format idx files`,
  );
}

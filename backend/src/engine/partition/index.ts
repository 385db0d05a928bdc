import { partitionDirichlet } from "./dirichlet.js";
import { partitionIid } from "./iid.js";
import { partitionShards } from "./shards.js";
import type { PartitionSpec } from "./types.js";

export type { PartitionSpec } from "./types.js";
export { labelHistogram } from "./histogram.js";
export { partitionDirichlet, partitionIid, partitionShards };

/**
 * Splits a training set (given by its labels) across numNodes nodes. Returns, per node, the
 * indices of its samples. Seeded: the same (labels, numNodes, spec, seed) always gives the same
 * result. Every sample is used at most once.
 */
export function partition(
  labels: Uint8Array,
  numNodes: number,
  spec: PartitionSpec,
  seed: number,
  numClasses = 10,
): number[][] {
  if (!(Number.isInteger(numNodes) && numNodes >= 1))
    throw new RangeError(`numNodes must be a positive integer, got ${numNodes}`);
  if (numNodes > labels.length)
    throw new RangeError(`cannot split ${labels.length} samples across ${numNodes} nodes`);
  switch (spec.kind) {
    case "iid":
      return partitionIid(labels.length, numNodes, seed);
    case "dirichlet":
      return partitionDirichlet(labels, numNodes, spec.alpha, numClasses, seed);
    case "shards":
      return partitionShards(labels, numNodes, spec.shardsPerNode, seed, spec.shardSize);
    default: {
      const never: never = spec;
      throw new Error(`unknown partition kind ${JSON.stringify(never)}`);
    }
  }
}

import { Rng } from "../rng.js";

/**
 * The FedAvg paper's pathological non-IID split (McMahan et al. 2017): sort the samples by label,
 * cut them into numNodes*shardsPerNode shards of shardSize (default n / (numNodes*shardsPerNode),
 * e.g. 300 for 100 nodes x 2 shards on 60,000), and give each node shardsPerNode random shards.
 * Ties in the sort keep the original order; samples beyond the last full shard are unused.
 */
export function partitionShards(
  labels: Uint8Array,
  numNodes: number,
  shardsPerNode: number,
  seed: number,
  shardSize?: number,
): number[][] {
  if (!(Number.isInteger(shardsPerNode) && shardsPerNode >= 1))
    throw new RangeError(`shardsPerNode must be a positive integer, got ${shardsPerNode}`);
  const n = labels.length;
  const numShards = numNodes * shardsPerNode;
  const size = shardSize ?? Math.floor(n / numShards);
  if (!(Number.isInteger(size) && size >= 1) || size * numShards > n)
    throw new RangeError(
      `cannot cut ${numShards} shards of ${size} from ${n} samples (numNodes*shardsPerNode*shardSize must be <= n)`,
    );
  const sorted = Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => labels[a]! - labels[b]! || a - b,
  );
  const shardOrder = new Rng(seed).permutation(numShards);
  const out: number[][] = [];
  for (let k = 0; k < numNodes; k++) {
    const part: number[] = [];
    for (let s = 0; s < shardsPerNode; s++) {
      const shard = shardOrder[k * shardsPerNode + s]!;
      for (let j = shard * size; j < (shard + 1) * size; j++) part.push(sorted[j]!);
    }
    out.push(part);
  }
  return out;
}

/** How the training set is split across simulated nodes. */
export type PartitionSpec =
  | { kind: "iid" }
  | { kind: "dirichlet"; alpha: number }
  | { kind: "shards"; shardsPerNode: number; shardSize?: number };

import { Rng } from "../rng.js";

/** IID: a seeded shuffle dealt into numNodes near-equal parts (sizes differ by at most one). */
export function partitionIid(n: number, numNodes: number, seed: number): number[][] {
  const perm = new Rng(seed).permutation(n);
  const out: number[][] = [];
  for (let k = 0; k < numNodes; k++) {
    const start = Math.floor((k * n) / numNodes);
    const end = Math.floor(((k + 1) * n) / numNodes);
    out.push(Array.from(perm.subarray(start, end)));
  }
  return out;
}

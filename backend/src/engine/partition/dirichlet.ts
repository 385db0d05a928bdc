import { Rng } from "../rng.js";

/**
 * Label skew by Dirichlet(alpha) (Hsu et al. 2019): for every class, its samples are shuffled and
 * split across nodes in proportions drawn from Dir(alpha). Small alpha => each node sees few
 * classes; large alpha => close to IID. Nodes that end up empty receive one sample taken from
 * the largest node so that every node can train.
 */
export function partitionDirichlet(
  labels: Uint8Array,
  numNodes: number,
  alpha: number,
  numClasses: number,
  seed: number,
): number[][] {
  if (!(alpha > 0)) throw new RangeError(`dirichlet alpha must be > 0, got ${alpha}`);
  const rng = new Rng(seed);
  const byClass: number[][] = Array.from({ length: numClasses }, () => []);
  labels.forEach((c, i) => byClass[c]?.push(i));
  const out: number[][] = Array.from({ length: numNodes }, () => []);
  for (const idx of byClass) {
    rng.shuffle(idx);
    const p = rng.dirichlet(alpha, numNodes);
    let start = 0;
    let cum = 0;
    for (let k = 0; k < numNodes; k++) {
      cum += p[k]!;
      const end = k === numNodes - 1 ? idx.length : Math.round(cum * idx.length);
      for (let j = start; j < end; j++) out[k]!.push(idx[j]!);
      start = Math.max(start, end);
    }
  }
  for (const part of out) {
    if (part.length > 0) continue;
    const donor = out.reduce((a, b) => (b.length > a.length ? b : a));
    if (donor.length > 1) part.push(donor.pop()!);
  }
  for (const part of out) rng.shuffle(part);
  return out;
}

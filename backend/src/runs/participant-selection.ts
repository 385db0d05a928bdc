import { mulberry32 } from "../rewards/seeded-random.js";

/** FedAvg's client sampling: max(1, round(C * K)) distinct nodes, seeded by (seed, round). */
export function selectParticipants(
  numNodes: number,
  fraction: number,
  seed: number,
  round: number,
): number[] {
  const m = Math.max(1, Math.round(fraction * numNodes));
  const rand = mulberry32((seed * 1_000_003 + round * 7_919) >>> 0);
  const all = Array.from({ length: numNodes }, (_, i) => i);
  for (let i = 0; i < m; i++) {
    const k = i + Math.floor(rand() * (numNodes - i));
    [all[i], all[k]] = [all[k]!, all[i]!];
  }
  return all.slice(0, m).sort((a, b) => a - b);
}

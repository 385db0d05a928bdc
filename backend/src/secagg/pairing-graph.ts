// Who masks with whom. SecAgg (Bonawitz et al. 2017) pairs every client with every other: n - 1
// pair masks and n - 1 share ciphertexts per client, O(n^2) work for the server when clients drop.
// SecAgg+ (Bell et al. 2020) pairs each client with only k neighbours on a random k-regular graph:
// a Harary graph H(k, n) (a circulant: position i joined to i +- 1..k/2, plus i + n/2 when k is
// odd) laid over a seeded random permutation of the clients, so per-client cost is O(k) and the
// server's O(nk).
//
// The trade-off. With the complete graph the sum is protected as long as fewer than t clients
// collude with the server, and it survives any dropouts that leave t clients. With k neighbours a
// client's secrets are shared among its k neighbours (plus itself, so k + 1 holders and t <= k + 1):
//  - privacy now holds per neighbourhood: if t of a client's holders collude with the server they
//    can unmask it, and the graph must be random (and not chosen by a server that is trying to
//    isolate a client) so that a bounded fraction of corrupt clients is unlikely to fill a
//    neighbourhood; Bell et al. show k = O(log n) suffices for a constant corrupt fraction, with
//    the constant depending on the tolerated corrupt and dropout fractions;
//  - robustness is per neighbourhood too: the round fails when some client needed in the sum has
//    fewer than t of its k + 1 holders left, even if many clients survive overall;
//  - an honest client's input is only hidden among its neighbours' masks, so the graph must be
//    connected enough that the server cannot separate a small group (a Harary graph is
//    k-connected).
// Here the graph seed is part of the session config set by the coordinator, which fits the
// honest-but-curious server model; the default is the complete graph, which is what small runs
// (tens of nodes) should use.
import { deriveSeed, SeededStream } from "./mask-prg.js";
import { SecAggError } from "./secagg-error.js";

/** A symmetric adjacency: client id -> the set of client ids it pairs with (never itself). */
export type PairingGraph = ReadonlyMap<string, ReadonlySet<string>>;

export function completeGraph(clients: readonly string[]): PairingGraph {
  return new Map(clients.map((c) => [c, new Set(clients.filter((o) => o !== c))]));
}

/** Unbiased Fisher-Yates over a seeded AES-CTR stream. */
function seededPermutation(n: number, seed: Uint8Array): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  const stream = new SeededStream(seed);
  let pool = stream.words(Math.max(16, 2 * n));
  let next = 0;
  const draw = () => {
    if (next === pool.length) {
      pool = stream.words(pool.length);
      next = 0;
    }
    return pool[next++]!;
  };
  for (let i = n - 1; i > 0; i--) {
    const range = i + 1;
    const limit = Math.floor(2 ** 32 / range) * range;
    let r = draw();
    while (r >= limit) r = draw();
    const j = r % range;
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/**
 * The SecAgg+ graph: each client gets exactly k neighbours. `clients` must be in roster order and
 * `seed` the session's 32-byte graph seed, so that every party builds the same graph. k >= n - 1
 * gives the complete graph.
 */
export function harary(
  clients: readonly string[],
  k: number,
  seed: Uint8Array,
  sessionId: string,
): PairingGraph {
  const n = clients.length;
  if (!Number.isInteger(k) || k < 2) {
    throw new SecAggError(
      "invalid-config",
      `the neighbour count k must be an integer >= 2, got ${k}`,
    );
  }
  if (k >= n - 1) return completeGraph(clients);
  if (k % 2 === 1 && n % 2 === 1) {
    throw new SecAggError(
      "invalid-config",
      `no ${k}-regular graph on ${n} clients (k and n both odd); use k = ${k + 1}`,
    );
  }
  const order = seededPermutation(n, deriveSeed(seed, sessionId, "pairing-graph"));
  const at = (position: number) => clients[order[((position % n) + n) % n]!]!;
  const graph = new Map(clients.map((c) => [c, new Set<string>()]));
  const link = (a: string, b: string) => {
    graph.get(a)!.add(b);
    graph.get(b)!.add(a);
  };
  for (let i = 0; i < n; i++) {
    for (let d = 1; d <= Math.floor(k / 2); d++) link(at(i), at(i + d));
    if (k % 2 === 1) link(at(i), at(i + n / 2));
  }
  return graph;
}

import type { RunPrivacy } from "../privacy/run-privacy.js";
import type { Aggregator, AggregationRound, RoundSetup } from "./aggregator.js";

/**
 * DP-FedAvg with noise on the nodes, wrapped around any aggregator (as Flower's
 * DifferentialPrivacyClientSide* wrappers wrap a strategy): every task carries the round's clip
 * norm and noise multiplier (each node clips its delta and adds Gaussian noise before signing),
 * the wrapped aggregator averages the noised deltas with equal weights, and after aggregating the
 * run's accountant (and adaptive clip norm) takes the round in.
 */
export function withClientSideDp(
  inner: Aggregator,
  privacy: RunPrivacy,
  opts: { seed: number; nodeCount: number },
): Aggregator {
  return {
    mode: inner.mode,
    seesUpdates: inner.seesUpdates,
    openRound(setup: RoundSetup): AggregationRound {
      const params = privacy.roundParams();
      const round = inner.openRound({ ...setup, equalWeights: true });
      return {
        taskExtras: (node, k) => ({
          ...round.taskExtras(node, k),
          privacy: {
            ...params,
            // Simulated nodes draw seeded noise (reproducible runs); agents use their CSPRNG.
            noiseSeed: (opts.seed * 48_271 + setup.round * 7_919 + k * 104_729) >>> 0,
          },
        }),
        ...(round.collect ? { collect: (fit) => round.collect!(fit) } : {}),
        aggregate: async (accepted) => {
          const result = await round.aggregate(accepted);
          const kept = accepted.filter((s) => !result.excluded.has(s.nodeId));
          const bits = kept.flatMap((s) => (s.unclipped === undefined ? [] : [s.unclipped]));
          return {
            ...result,
            privacy: privacy.afterRound({
              selected: setup.participants.length,
              nodes: opts.nodeCount,
              aggregated: bits.length,
              unclippedBits: bits,
              secure: inner.mode === "secure",
            }),
          };
        },
        close: () => round.close(),
      };
    },
  };
}

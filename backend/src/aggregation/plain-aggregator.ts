import type { Strategy } from "../fl/strategies/strategy.js";
import type { Aggregator, AggregationRound, RoundSetup } from "./aggregator.js";

/**
 * The coordinator sees every update: the run's strategy (FedAvg, a server optimizer or a robust
 * rule) aggregates them, and each node's own update is what its contribution is scored on.
 */
export class PlainAggregator implements Aggregator {
  readonly mode = "plain";
  readonly seesUpdates = true;

  constructor(private readonly strategy: Strategy) {}

  openRound(setup: RoundSetup): AggregationRound {
    return {
      taskExtras: () => ({}),
      aggregate: async (accepted) => {
        const own = new Map(accepted.map((s) => [s.nodeId, s.weights]));
        const scoringModel = (nodeId: string) => own.get(nodeId) ?? setup.start;
        if (accepted.length === 0) {
          return { model: setup.start, excluded: new Map(), scoringModel };
        }
        const result = this.strategy.aggregate(
          setup.start,
          accepted.map((s) => ({
            nodeId: s.nodeId,
            weights: s.weights,
            numSamples: setup.equalWeights ? 1 : s.signed.samples,
          })),
        );
        return {
          model: result.weights,
          excluded: new Map(result.excluded.map((e) => [e.nodeId, e.reason])),
          scoringModel,
        };
      },
      close: () => undefined,
    };
  }
}

import type { SecureAggregationSpec } from "../domain/index.js";
import type { Strategy } from "../fl/strategies/strategy.js";
import { secureSessionId } from "../nodes/agent-protocol.js";
import type { Aggregator, AggregationRound, RoundSetup } from "./aggregator.js";
import { secureMean, type SecureOptions } from "./secure-mean.js";

/**
 * Secure aggregation for simulated nodes: their masked inputs go through SecAgg's four message
 * rounds in this process (every message serialised as on the wire), so the coordinator unmasks
 * only the sum; the strategy's server step (FedAvgM, FedAdam, ...) is applied to that mean.
 * Every kept node is scored on the aggregate, the only model anyone sees.
 */
export class InProcessSecureAggregator implements Aggregator {
  readonly mode = "secure";
  readonly seesUpdates = false;

  constructor(
    private readonly strategy: Strategy,
    private readonly spec: SecureAggregationSpec & Pick<SecureOptions, "bits">,
  ) {}

  openRound(setup: RoundSetup): AggregationRound {
    return {
      taskExtras: () => ({}),
      aggregate: async (accepted) => {
        if (accepted.length === 0) {
          return { model: setup.start, excluded: new Map(), scoringModel: () => setup.start };
        }
        const maxSamples = Math.max(1, ...accepted.map((s) => s.signed.samples));
        const mean = secureMean(
          secureSessionId(setup.chainRunId, setup.round),
          setup.start,
          accepted.map((s) => ({
            nodeId: s.nodeId,
            weights: s.weights,
            weight: setup.equalWeights ? 1 : s.signed.samples / maxSamples,
          })),
          {
            clipRange: this.spec.clipRange,
            neighbours: this.spec.neighbours,
            bits: this.spec.bits,
          },
        );
        const model = this.strategy.applyMean(setup.start, mean.weights);
        const survivors = new Set(mean.survivors);
        const excluded = new Map(
          accepted
            .filter((s) => !survivors.has(s.nodeId))
            .map((s) => [
              s.nodeId,
              "dropped out of secure aggregation before its masked input was summed",
            ]),
        );
        const uploadBytes = new Map(accepted.map((s) => [s.nodeId, mean.maskedInputBytes]));
        return { model, excluded, scoringModel: () => model, uploadBytes };
      },
      close: () => undefined,
    };
  }
}

import { usesCompression, type RunConfig } from "../domain/index.js";
import type { Strategy } from "../fl/strategies/strategy.js";
import type { UpdateDomain } from "../nodes/update-signing.js";
import type { RunPrivacy } from "../privacy/run-privacy.js";
import type { Aggregator } from "./aggregator.js";
import { withClientSideDp } from "./client-dp.js";
import { InProcessSecureAggregator } from "./in-process-secure-aggregator.js";
import { PlainAggregator } from "./plain-aggregator.js";
import { RemoteSecureAggregator } from "./remote-secure-aggregator.js";

/** Chooses a run's aggregation once, when the run starts: the only place that branches on it. */
export function createAggregator(opts: {
  config: RunConfig;
  strategy: Strategy;
  parameterCount: number;
  domain: UpdateDomain;
  privacy: RunPrivacy | undefined;
}): Aggregator {
  const { config, strategy } = opts;
  // Upload quantisation under SecAgg: the quantised integers go into the masking ring directly.
  const quantise = usesCompression(config.compression)
    ? config.compression.upload.quantise
    : "none";
  const spec = {
    ...config.aggregation,
    ...(quantise === "none" ? {} : { bits: quantise === "int8" ? 8 : 4 }),
  };
  const base: Aggregator =
    spec.mode === "plain"
      ? new PlainAggregator(strategy)
      : config.nodeSource === "remote"
        ? new RemoteSecureAggregator({
            strategy,
            spec,
            parameterCount: opts.parameterCount,
            domain: opts.domain,
            roundTimeoutMs: config.roundTimeoutMs,
          })
        : new InProcessSecureAggregator(strategy, spec);
  return opts.privacy
    ? withClientSideDp(base, opts.privacy, { seed: config.seed, nodeCount: config.numNodes })
    : base;
}

import { randomBytes } from "node:crypto";
import { modelDelta } from "../privacy/index.js";
import {
  encodingOf,
  maxShareHolders,
  parseConfig,
  runSecureAggregation,
  type SecAggConfig,
} from "../secagg/index.js";

export interface SecureInput {
  nodeId: string;
  /** The node's model after local training (and its privacy step, if any). */
  weights: Float32Array;
  /** Its weight in the mean: samples / max samples (FedAvg), or 1 (equal weights, with DP). */
  weight: number;
}

export interface SecureMean {
  /** start + sum_k(weight_k delta_k) / sum_{k in survivors}(weight_k). */
  weights: Float32Array;
  survivors: string[];
  dropped: string[];
  /** Bytes of each node's masked input as sent (its ring elements, packed). */
  maskedInputBytes: number;
}

/** How a round's secure aggregation is set up (the run's spec, with quantised inputs' bits). */
export interface SecureOptions {
  clipRange: number;
  neighbours?: number | undefined;
  /** Upload compression under SecAgg: quantise inputs to this many bits in a smaller ring. */
  bits?: number | undefined;
}

/**
 * One round's aggregation through SecAgg (SecAgg+ with `neighbours`): every node masks
 * weight_k x (its model delta), clipped per coordinate to [-R, R], and the coordinator's
 * SecAggServer unmasks only the sum of the survivors' inputs. The nodes here are simulated, so
 * the protocol's four message rounds run in this process (backend/src/secagg/run-in-process.ts),
 * with every message serialised as it would be on the wire. The coordinator divides the sum by
 * the survivors' public weights (samples are signed by each node), which is FedAvg's weighted
 * mean of the deltas: no single node's update is ever reconstructed.
 */
export function secureMean(
  sessionId: string,
  start: Float32Array,
  inputs: readonly SecureInput[],
  opts: SecureOptions,
): SecureMean {
  if (inputs.length === 0) throw new Error("secure aggregation needs at least one input");
  const config = secureSessionConfig(sessionId, inputs.length, start.length, opts);
  const byId = new Map(inputs.map((i) => [i.nodeId, i]));
  const vectors = new Map(
    inputs.map((i) => {
      const d = modelDelta(i.weights, start);
      for (let j = 0; j < d.length; j++) d[j] = d[j]! * i.weight;
      return [i.nodeId, d] as const;
    }),
  );
  const result = runSecureAggregation({ config, inputs: vectors, wire: "json" });
  const total = result.survivors.reduce((s, id) => s + byId.get(id)!.weight, 0);
  return {
    weights: meanFromSum(start, result.sum, total),
    survivors: result.survivors,
    dropped: result.dropped,
    maskedInputBytes: Math.ceil((start.length * encodingOf(config).ringBits) / 8),
  };
}

/**
 * A round's SecAgg config for `clients` nodes: maxClients = the nodes selected, the threshold the
 * smallest strict majority of each node's share holders (it survives the most dropouts), and with
 * `neighbours` below clients - 1 a SecAgg+ graph from a fresh random seed.
 */
export function secureSessionConfig(
  sessionId: string,
  clients: number,
  vectorLength: number,
  opts: SecureOptions,
): SecAggConfig {
  const neighbours =
    opts.neighbours !== undefined && opts.neighbours < clients - 1 ? opts.neighbours : undefined;
  const holders = maxShareHolders({ maxClients: clients, neighbours });
  return parseConfig({
    sessionId,
    threshold: Math.floor(holders / 2) + 1,
    vectorLength,
    clipRange: opts.clipRange,
    maxClients: clients,
    ...(opts.bits !== undefined ? { bits: opts.bits } : {}),
    ...(neighbours !== undefined ? { neighbours, graphSeed: randomBytes(32).toString("hex") } : {}),
  });
}

/** start + sum / totalWeight: the weighted mean delta of the survivors applied to the model. */
export function meanFromSum(start: Float32Array, sum: Float32Array, totalWeight: number) {
  const weights = new Float32Array(start.length);
  for (let j = 0; j < weights.length; j++) weights[j] = start[j]! + sum[j]! / totalWeight;
  return weights;
}

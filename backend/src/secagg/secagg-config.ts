// The parameters of one secure aggregation session, agreed by the coordinator and every client
// before round 0 (the coordinator hands them out with the round assignment). JSON-safe.
import { z } from "zod";
import { fixedPointEncoding, type FixedPointEncoding } from "./fixed-point-encoding.js";
import { completeGraph, harary, type PairingGraph } from "./pairing-graph.js";
import { SecAggError } from "./secagg-error.js";

export const SecAggConfigSchema = z
  .object({
    /**
     * Unique per aggregation, e.g. `${runId}/round-${round}`. It salts every key derivation and is
     * authenticated with every share ciphertext, so nothing from one session is valid in another.
     */
    sessionId: z.string().min(1).max(200),
    /**
     * t: shares needed to rebuild a client's secret, and the fewest clients that must remain.
     * Must be a strict majority of each client's share holders (see thresholdBounds).
     */
    threshold: z.number().int().min(1),
    /** Length of every input vector (model parameters). */
    vectorLength: z
      .number()
      .int()
      .min(1)
      .max(2 ** 28),
    /** R: inputs are clipped to [-R, R] before fixed-point encoding. */
    clipRange: z.number().positive().max(1e30),
    /** n: the most clients that may join; bounds the fixed-point scale so the sum cannot overflow. */
    maxClients: z.number().int().min(1).max(1_000_000),
    /**
     * b: quantise every input coordinate to a b-bit integer (stochastic rounding) in the ring
     * Z_{2^(b + ceil(log2 n))}, whose masked values travel packed (fixed-point-encoding.ts).
     * Omitted: the full 32-bit ring.
     */
    bits: z.number().int().min(2).max(24).optional(),
    /** SecAgg+: pair each client with only this many neighbours (k). Omitted: complete graph. */
    neighbours: z.number().int().min(2).optional(),
    /** SecAgg+: 32-byte hex seed of the random neighbour graph; required with `neighbours`. */
    graphSeed: z
      .string()
      .regex(/^[0-9a-f]{64}$/, "expected 32 bytes of lowercase hex")
      .optional(),
  })
  .refine((c) => c.neighbours === undefined || c.graphSeed !== undefined, {
    message: "graphSeed is required when neighbours is set",
    path: ["graphSeed"],
  })
  .refine((c) => c.threshold <= c.maxClients, {
    message: "threshold cannot exceed maxClients",
    path: ["threshold"],
  });

export type SecAggConfig = z.infer<typeof SecAggConfigSchema>;

export function parseConfig(config: unknown): SecAggConfig {
  const parsed = SecAggConfigSchema.safeParse(config);
  if (!parsed.success) {
    throw new SecAggError(
      "invalid-config",
      `invalid secure aggregation config: ${parsed.error.issues.map((i) => `${i.path.join(".") || "config"}: ${i.message}`).join("; ")}`,
    );
  }
  const c = parsed.data;
  const holders = maxShareHolders(c);
  const { min, max } = thresholdBounds(holders);
  if (c.threshold < min || c.threshold > max) {
    throw new SecAggError(
      "invalid-config",
      `threshold ${c.threshold} does not suit up to ${holders} share holders per client ` +
        `(maxClients ${c.maxClients}${c.neighbours === undefined ? "" : `, k = ${c.neighbours}`}): ` +
        `it must be in [${min}, ${max}]`,
    );
  }
  return c;
}

/**
 * The most holders a client's secrets can have: every client with the complete graph, itself and
 * its k neighbours with SecAgg+.
 */
export function maxShareHolders(config: Pick<SecAggConfig, "maxClients" | "neighbours">): number {
  return config.neighbours === undefined
    ? config.maxClients
    : Math.min(config.neighbours + 1, config.maxClients);
}

export function encodingOf(config: SecAggConfig): FixedPointEncoding {
  return fixedPointEncoding(config.clipRange, config.maxClients, config.bits);
}

/**
 * Each client's secrets are shared among itself and its neighbours (h holders). The threshold must
 * satisfy floor(h / 2) + 1 <= t <= h: at most h so the secrets can be rebuilt at all, and a strict
 * majority so that no two disjoint groups of holders can each reach t. That is what makes the
 * clients' sign-off (never both shares for one peer) a real guarantee: a server that told half the
 * clients "u dropped" and the other half "u survived" could not collect t shares of both b_u and
 * s_sk of u. The config is checked against the largest h (maxShareHolders), so fewer clients
 * joining never breaks the majority; t = floor(h / 2) + 1 tolerates the most dropouts, a larger t
 * tolerates more colluders (t - 1).
 */
export function thresholdBounds(holders: number): { min: number; max: number } {
  return { min: Math.floor(holders / 2) + 1, max: holders };
}

/** The pairing graph every party derives from the roster (client ids in roster order). */
export function pairingGraphFor(config: SecAggConfig, rosterIds: readonly string[]): PairingGraph {
  const graph =
    config.neighbours === undefined
      ? completeGraph(rosterIds)
      : harary(
          rosterIds,
          config.neighbours,
          Buffer.from(config.graphSeed!, "hex"),
          config.sessionId,
        );
  for (const [client, peers] of graph) {
    if (peers.size + 1 < config.threshold) {
      throw new SecAggError(
        "too-few-clients",
        `${client} has ${peers.size + 1} share holders among ${rosterIds.length} clients, fewer than the threshold ${config.threshold}`,
      );
    }
  }
  return graph;
}

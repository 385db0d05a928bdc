// The coordinator's API contract: request schemas (validated with zod) and response types. The
// dashboard imports the types from here, so both sides change together.
import { z } from "zod";

export const Address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "expected a 0x-prefixed 20-byte address");
export const Hex32 = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, "expected a 0x-prefixed 32-byte hex value");
export const Hex = z.string().regex(/^0x([0-9a-fA-F]{2})*$/, "expected 0x-prefixed hex bytes");
/** A token amount in whole tokens as a decimal string, e.g. "100" or "2.5" (18 decimals). */
export const TokenAmount = z
  .string()
  .regex(/^\d+(\.\d{1,18})?$/, 'expected a decimal token amount such as "100" or "2.5"');

export const DatasetName = z.enum(["mnist", "fashion-mnist", "synthetic"]);
export const ModelKind = z.enum(["cnn", "2nn", "logreg"]);

export const PartitionSpec = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("iid") }),
  z.object({ kind: z.literal("dirichlet"), alpha: z.number().positive().max(1000) }),
  z.object({
    kind: z.literal("shards"),
    shardsPerNode: z.number().int().min(1).max(100).default(2),
  }),
]);

const adaptive = {
  serverLr: z.number().positive().max(10).default(0.01),
  beta1: z.number().min(0).max(0.9999).default(0.9),
  beta2: z.number().min(0).max(0.9999).default(0.99),
  tau: z.number().positive().max(1).default(1e-3),
};

export const StrategySpec = z.discriminatedUnion("name", [
  z.object({ name: z.literal("fedavg") }),
  z.object({ name: z.literal("fedprox"), mu: z.number().min(0).max(100).default(0.01) }),
  z.object({
    name: z.literal("fedavgm"),
    serverLr: z.number().positive().max(10).default(1),
    momentum: z.number().min(0).max(0.999).default(0.9),
  }),
  z.object({ name: z.literal("fedadam"), ...adaptive }),
  z.object({ name: z.literal("fedyogi"), ...adaptive }),
  z.object({
    name: z.literal("fedadagrad"),
    ...adaptive,
    beta1: z.number().min(0).max(0.9999).default(0),
  }),
  z.object({
    name: z.literal("krum"),
    /** Byzantine nodes tolerated. */
    f: z.number().int().min(0).max(100).default(1),
    /** Updates averaged after selection (1 = Krum, more = Multi-Krum). */
    m: z.number().int().min(1).max(1000).default(1),
  }),
  z.object({ name: z.literal("median") }),
  z.object({
    name: z.literal("trimmed-mean"),
    /** Fraction trimmed from each end, per coordinate. */
    beta: z.number().min(0).max(0.49).default(0.1),
  }),
]);

export const RewardPolicySpec = z.object({
  /**
   * loss-improvement, leave-one-out and shapley-mc score each node's own update on the
   * coordinator's validation split; aggregate-loss pays every aggregated node by its samples when
   * the round's aggregate lowered the validation loss (the only one secure aggregation allows).
   */
  policy: z
    .enum(["loss-improvement", "leave-one-out", "shapley-mc", "aggregate-loss"])
    .default("loss-improvement"),
  poolPerRound: TokenAmount.default("100"),
  /** Monte-Carlo permutations for shapley-mc. */
  permutations: z.number().int().min(1).max(1000).default(20),
});

export const ByzantineSpec = z.object({
  /** Fraction of the run's nodes that send poisoned updates (simulated attackers). */
  fraction: z.number().min(0).max(0.5),
  attack: z.enum(["sign-flip", "scale"]),
  scale: z.number().min(-1000).max(1000).default(-4),
});

/**
 * User-level differential privacy (DP-FedAvg): every node clips its model delta to L2 norm
 * clipNorm and adds Gaussian noise of std noiseMultiplier x clipNorm before signing and sending it;
 * the coordinator averages the deltas with equal weights and accounts the rounds with a Renyi DP
 * accountant (epsilon at delta reported per round and per run).
 */
export const PrivacySpec = z
  .object({
    /** C: the L2 clip norm of a node's delta (the initial one with adaptive clipping). */
    clipNorm: z.number().positive().max(1e6),
    /** z: per-node noise std is z x C; the mean of n deltas then has noise multiplier z sqrt(n). */
    noiseMultiplier: z.number().min(0).max(100),
    /** Adaptive clipping (Andrew et al. 2021): C tracks this quantile of the delta norms. */
    adaptiveClipping: z
      .object({
        targetQuantile: z.number().min(0).max(1).default(0.5),
        learningRate: z.number().min(0).max(10).default(0.2),
      })
      .strict()
      .optional(),
    /** The delta of (epsilon, delta)-DP. */
    delta: z.number().gt(0).lt(0.1).default(1e-5),
  })
  .strict();

/**
 * How updates are summed: "plain" (the coordinator sees each node's update, needed for per-node
 * rewards and robust strategies) or "secure" (pairwise-masked secure aggregation, SecAgg+: the
 * coordinator learns only the sum of the surviving nodes' updates).
 */
export const AggregationSpec = z.discriminatedUnion("mode", [
  z.object({ mode: z.literal("plain") }).strict(),
  z
    .object({
      mode: z.literal("secure"),
      /** R: each coordinate of a node's (scaled) delta is clipped to [-R, R] before masking. */
      clipRange: z.number().positive().max(1e6).default(1),
      /** SecAgg+: mask with this many neighbours instead of every other node. */
      neighbours: z.number().int().min(2).max(1000).optional(),
      /**
       * Remote agents: how long each masking stage after the key advertisement (which waits for
       * training, up to roundTimeoutMs) waits for slow agents before going on without them
       * (default 30 s); agents that drop out are survived while enough of them remain.
       */
      stageTimeoutMs: z.number().int().min(500).max(600_000).optional(),
    })
    .strict(),
]);

const ROBUST = new Set(["krum", "median", "trimmed-mean"]);

export const CreateRunRequest = z
  .object({
    name: z.string().trim().min(1).max(120).optional(),
    dataset: DatasetName,
    /** Use only the first N training samples (quick experiments); all when absent. */
    trainLimit: z.number().int().min(100).max(60_000).optional(),
    model: ModelKind,
    partition: PartitionSpec,
    numNodes: z.number().int().min(1).max(1000),
    fraction: z.number().gt(0).max(1),
    rounds: z.number().int().min(1).max(10_000),
    localEpochs: z.number().int().min(1).max(100),
    batchSize: z.number().int().min(1).max(4096),
    learningRate: z.number().gt(0).max(10),
    strategy: StrategySpec,
    reward: RewardPolicySpec.default({
      policy: "loss-improvement",
      poolPerRound: "100",
      permutations: 20,
    }),
    byzantine: ByzantineSpec.optional(),
    privacy: PrivacySpec.optional(),
    aggregation: AggregationSpec.default({ mode: "plain" }),
    /**
     * Who trains: "simulated" nodes on the coordinator's workers (each with its data shard and a
     * Hardhat dev wallet), or "remote" node agents (`npm run node`) with their own data and keys;
     * a remote round takes round(fraction x numNodes) of the agents online.
     */
    nodeSource: z.enum(["simulated", "remote"]).default("simulated"),
    /**
     * Remote runs: a round starts once this many agents are online (default: all it wants,
     * round(fraction x numNodes)); with fewer than wanted it waits a few seconds more for them.
     */
    minNodes: z.number().int().min(1).max(1000).optional(),
    /** A round waits this long for stragglers, then aggregates what arrived. */
    roundTimeoutMs: z.number().int().min(1000).max(3_600_000).default(600_000),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .default(1),
  })
  .strict()
  .refine((r) => !(r.byzantine && r.nodeSource === "remote"), {
    message:
      "byzantine attackers are simulated nodes; remove byzantine or use nodeSource simulated",
    path: ["byzantine"],
  })
  .refine((r) => r.aggregation.mode === "plain" || !ROBUST.has(r.strategy.name), {
    message:
      "robust strategies (krum, median, trimmed-mean) need every node's update; secure aggregation reveals only their sum",
    path: ["strategy"],
  })
  .refine((r) => r.aggregation.mode === "plain" || r.reward.policy === "aggregate-loss", {
    message:
      "secure aggregation hides each node's update, so per-node loss rewards cannot be measured: use reward.policy aggregate-loss",
    path: ["reward", "policy"],
  })
  .refine((r) => r.aggregation.mode === "plain" || !r.byzantine, {
    message:
      "secure aggregation cannot see (or reject) poisoned updates; drop byzantine or use plain aggregation",
    path: ["byzantine"],
  });

export type CreateRunRequest = z.input<typeof CreateRunRequest>;
export type RunConfig = z.output<typeof CreateRunRequest>;

export const RunStatus = z.enum(["pending", "running", "paused", "stopped", "completed", "failed"]);
export type RunStatus = z.infer<typeof RunStatus>;

export const RunAction = z.enum(["pause", "resume", "stop"]);

export const RegisterNodeRequest = z
  .object({
    nodeId: z
      .string()
      .regex(/^[a-zA-Z0-9_.-]{1,64}$/, "node ids are 1-64 characters of a-z A-Z 0-9 _ . -"),
    wallet: Address,
    /** Unix seconds after which the signature is void. */
    deadline: z.number().int().positive(),
    /** The wallet's EIP-712 signature over (nodeId, wallet, deadline). */
    signature: Hex,
  })
  .strict();

export const ContributionsQuery = z.object({
  run: z.string().min(1).max(64).optional(),
  node: z.string().min(1).max(64).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
});

export const ContributionTotalsQuery = ContributionsQuery.pick({ run: true });

// ---- responses -------------------------------------------------------------------------------

export interface RunSummary {
  id: string;
  name: string;
  status: RunStatus;
  config: RunConfig;
  completedRounds: number;
  totalRounds: number;
  engine: string | null;
  error: string | null;
  chainRunId: string | null;
  createdAt: number;
  updatedAt: number;
  latest: { round: number; testLoss: number; testAccuracy: number } | null;
  /** With privacy: the budget spent so far (null without privacy or before the first round). */
  privacy: PrivacyReport | null;
}

/** The privacy budget a run has spent after some rounds, from its Renyi DP accountant. */
export interface PrivacyReport {
  /** Rounds accounted. */
  rounds: number;
  delta: number;
  /**
   * Against anyone who sees only the global models (a third party, the ledger's model hashes):
   * the noise of the averaged deltas, amplified by the sampling of nodes per round. null: no
   * finite bound (noise multiplier 0: nodes only clip).
   */
  epsilon: number | null;
  /**
   * Against the coordinator, for the node that took part in the most rounds: it sees each noised
   * delta (plain aggregation) or only their sum (secure aggregation), without sampling
   * amplification; accounted as if the node took part in every round (an upper bound).
   */
  coordinatorEpsilon: number | null;
  /** The clip norm the next round uses (changes with adaptive clipping). */
  clipNorm: number;
  noiseMultiplier: number;
}

/** What a round did for privacy. */
export interface RoundPrivacy {
  clipNorm: number;
  noiseMultiplier: number;
  /** Noise multiplier of the averaged delta (z x sqrt(noised deltas aggregated)). */
  aggregateNoiseMultiplier: number;
  /** Fraction of nodes whose delta was within the clip norm (noised, with adaptive clipping). */
  unclippedFraction: number;
  /** The run's budget after this round (see PrivacyReport). */
  epsilon: number | null;
  coordinatorEpsilon: number | null;
}

export interface UpdateOutcome {
  nodeId: string;
  wallet: string;
  accepted: boolean;
  reason?: string;
  samples: number;
  /** What the node reported; informational only, never used for rewards. */
  reportedTrainLoss: number;
  updateHash: string;
  /** Coordinator-measured validation loss of the round's start model, and with this update alone. */
  lossBefore?: number;
  lossAfter?: number;
  score?: number;
  /** Reward in wei (18 decimals) as a decimal string. */
  reward?: string;
}

export interface RoundRecord {
  runId: string;
  round: number;
  status: "training" | "aggregated" | "recorded" | "failed";
  startedAt: number;
  finishedAt: number | null;
  durationMs: number | null;
  testLoss: number | null;
  testAccuracy: number | null;
  validationLossBefore: number | null;
  validationLossAfter: number | null;
  participants: string[];
  updates: UpdateOutcome[];
  modelHash: string | null;
  txHash: string | null;
  /** How the round summed updates. */
  aggregation?: "plain" | "secure";
  privacy?: RoundPrivacy | null;
}

export interface NodeSummary {
  id: string;
  wallet: string;
  kind: "simulated" | "remote";
  status: "registered" | "training" | "idle" | "offline";
  registeredAt: number;
  lastSeen: number | null;
  registrationTx: string | null;
  totals: { contributions: number; rewardWei: string };
}

export interface ContributionRecord {
  runId: string;
  round: number;
  nodeId: string;
  wallet: string;
  samples: number;
  lossBefore: number;
  lossAfter: number;
  score: number;
  rewardWei: string;
  updateHash: string;
  txHash: string | null;
}

/** A run's (or every run's) contributions in the store, summed over all of them, not one page. */
export interface ContributionTotals {
  contributions: number;
  /** Those whose round is on chain (the outbox confirmed its transaction). */
  recorded: number;
  recordedWei: string;
  /** Rewards still in the outbox. */
  pendingWei: string;
}

export interface RewardsSummary {
  address: string;
  /** All from the chain, in wei. */
  recordedWei: string;
  claimedWei: string;
  claimableWei: string;
  balanceWei: string;
}

/** Server-Sent Events on GET /api/runs/:id/events (event name = `type`). */
export type RunEvent =
  | { type: "run-status"; runId: string; status: RunStatus; error?: string }
  | { type: "round-started"; runId: string; round: number; participants: string[] }
  | {
      type: "node-progress";
      runId: string;
      round: number;
      nodeId: string;
      epoch: number;
      batch: number;
      batches: number;
      loss: number;
    }
  | {
      type: "node-finished";
      runId: string;
      round: number;
      nodeId: string;
      accepted: boolean;
      reason?: string;
    }
  | {
      type: "round-aggregated";
      runId: string;
      round: number;
      testLoss: number;
      testAccuracy: number;
      accepted: number;
      rejected: number;
      modelHash: string;
      durationMs: number;
    }
  | {
      type: "contribution-recorded";
      runId: string;
      round: number;
      txHash: string;
      totalRewardWei: string;
    }
  | { type: "log"; runId: string; level: "info" | "warn" | "error"; message: string };

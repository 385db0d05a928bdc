// A run's configuration: the request that creates it, validated with the same schema everywhere
// (API, dashboard form, CLI, config files). Catalogue choices (dataset, model, strategy, reward
// policy, attack) come from their registries, so adding an entry there needs no change here.
import { z } from "zod";
import { param } from "../catalogue/entry.js";
import { AlertRules, AnomalySpec } from "./alert.js";
import { CompressionSpec, usesCompression } from "./compression.js";
import { Hex32, RunId } from "./primitives.js";
import { OwnData } from "./own-data.js";
import { DATASETS, DATASET_IDS } from "../engine/datasets/catalogue.js";
import { MODEL_IDS } from "../engine/models/catalogue.js";
import { ByzantineSpec } from "../fl/attacks.js";
import { StrategySpec, strategyEntry } from "../fl/strategies/registry.js";
import { DEFAULT_REWARD, RewardSpec, rewardPolicyEntry } from "../rewards/policies/registry.js";

export { ByzantineSpec } from "../fl/attacks.js";
export { StrategySpec } from "../fl/strategies/registry.js";
export { RewardSpec, POLICY_IDS, type PolicyName } from "../rewards/policies/registry.js";
export { STRATEGY_IDS, type StrategyId } from "../fl/strategies/registry.js";
export { ATTACK_IDS } from "../fl/attacks.js";

export const DatasetName = z.enum(DATASET_IDS);
export type DatasetName = z.infer<typeof DatasetName>;
export const ModelKind = z.enum(MODEL_IDS);
export type ModelKind = z.infer<typeof ModelKind>;
/** A run's dataset: a packaged one, or "own" (the run's `data` block). */
export const RunDataset = z.enum([...DATASET_IDS, "own"]);
export type RunDataset = z.infer<typeof RunDataset>;
/** A run's model: a built-in architecture (sized for the data), or "layers" (`modelTopology`). */
export const RunModel = z.enum([...MODEL_IDS, "layers"]);
export type RunModel = z.infer<typeof RunModel>;

/** Kept for clients of the first API version: the reward part of a run request. */
export const RewardPolicySpec = RewardSpec;

export const PartitionSpec = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("iid") }).meta({
    title: "IID",
    description: "Shuffled and dealt evenly: every node sees every class.",
  }),
  z
    .object({
      kind: z.literal("dirichlet"),
      alpha: z
        .number()
        .positive()
        .max(1000)
        .meta(param("α", "Concentration: small α gives each node few classes, large α near IID.")),
    })
    .meta({
      title: "Dirichlet",
      description: "Each node's class mix drawn from Dirichlet(α): the usual non-IID benchmark.",
    }),
  z
    .object({
      kind: z.literal("shards"),
      shardsPerNode: z
        .number()
        .int()
        .min(1)
        .max(100)
        .default(2)
        .meta(param("Shards per node", "Label-sorted shards each node gets (FedAvg paper: 2).")),
    })
    .meta({
      title: "Label shards",
      description: "The FedAvg paper's pathological non-IID split: label-sorted shards per node.",
    }),
]);

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
    /**
     * The privacy budget: the model epsilon (against anyone who sees the global models) the run may
     * not pass. The run ends before a round that would take it past the cap.
     */
    maxEpsilon: z.number().positive().max(1e6).optional(),
  })
  .strict()
  .refine((p) => p.maxEpsilon === undefined || p.noiseMultiplier > 0, {
    message: "maxEpsilon needs noiseMultiplier > 0: without noise there is no finite epsilon",
    path: ["maxEpsilon"],
  });
export type PrivacySpec = z.output<typeof PrivacySpec>;

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
export type AggregationSpec = z.output<typeof AggregationSpec>;
export type SecureAggregationSpec = Extract<AggregationSpec, { mode: "secure" }>;

/**
 * What a run keeps in the artifact store. Models: every round's global model (the model registry),
 * every k-th, or the best and the last N (the latest is always kept: a run resumes from it, and so
 * is the best). Updates (what the re-execution audit recomputes scores from; plain aggregation
 * only): all, or those of the last N rounds.
 */
export const RetentionSpec = z
  .object({
    models: z
      .discriminatedUnion("keep", [
        z.object({ keep: z.literal("all") }),
        z.object({ keep: z.literal("every"), k: z.number().int().min(2).max(10_000) }),
        z.object({ keep: z.literal("best-and-last"), last: z.number().int().min(1).max(10_000) }),
      ])
      .default({ keep: "all" }),
    updates: z
      .discriminatedUnion("keep", [
        z.object({ keep: z.literal("all") }),
        z.object({ keep: z.literal("last"), rounds: z.number().int().min(0).max(10_000) }),
      ])
      .default({ keep: "all" }),
  })
  .strict();
export type RetentionSpec = z.output<typeof RetentionSpec>;

/** Where a run starts from: a stored version of another run ({run, round}: a number, best or last) or a model hash. */
export const InitialModelSpec = z.union([
  z
    .object({
      run: RunId,
      round: z.union([z.number().int().min(0), z.literal("best"), z.literal("last")]),
      /** Filled in by the coordinator when the run is created: the version's hash. */
      hash: Hex32.optional(),
    })
    .strict(),
  z.object({ hash: Hex32 }).strict(),
]);
export type InitialModelSpec = z.output<typeof InitialModelSpec>;

export const RunConfigFields = z
  .object({
    name: z.string().trim().min(1).max(120).optional(),
    dataset: RunDataset,
    /** dataset "own": the user's image folder or CSV table (domain/own-data.ts). */
    data: OwnData.optional(),
    /** Use only the first N training samples (quick experiments); all when absent. */
    trainLimit: z.number().int().min(100).max(10_000_000).optional(),
    model: RunModel,
    /**
     * model "layers": a TF.js Layers topology, the JSON `model.toJSON()` gives (Sequential, layers
     * from the allow-list in engine/models/layers-topology.ts, at most 10 M parameters).
     */
    modelTopology: z.record(z.string(), z.unknown()).optional(),
    partition: PartitionSpec,
    numNodes: z.number().int().min(1).max(1000),
    fraction: z.number().gt(0).max(1),
    rounds: z.number().int().min(1).max(10_000),
    localEpochs: z.number().int().min(1).max(100),
    batchSize: z.number().int().min(1).max(4096),
    learningRate: z.number().gt(0).max(10),
    strategy: StrategySpec,
    reward: RewardSpec.default(DEFAULT_REWARD),
    byzantine: ByzantineSpec.optional(),
    privacy: PrivacySpec.optional(),
    aggregation: AggregationSpec.default({ mode: "plain" }),
    /**
     * Update compression (domain/compression.ts): quantised and/or top-k sparsified uploads with
     * error feedback, quantised downloads. Absent: raw float32 models both ways.
     */
    compression: CompressionSpec.optional(),
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
    /**
     * The most training samples a node may announce (its FedAvg weight and its reward share are
     * taken from its signed count, which may not exceed what it announced). Default: the
     * dataset's training set size.
     */
    maxSamplesPerNode: z.number().int().min(1).max(10_000_000).optional(),
    /** Start from a stored model version instead of fresh weights (recorded on chain in the spec). */
    initialModel: InitialModelSpec.optional(),
    /** Stop once a round's test accuracy reaches this (that round is the run's last, on chain too). */
    stopAtAccuracy: z.number().gt(0).max(1).optional(),
    /**
     * Roll back: when a round's test accuracy is more than this many points (0-100) below the
     * best so far, the next round starts from the best version (the bad round stays recorded).
     */
    rollbackDropPoints: z.number().positive().max(100).optional(),
    retention: RetentionSpec.default({ models: { keep: "all" }, updates: { keep: "all" } }),
    /** Alert rules (domain/alert.ts); every rule has a default, null switches one off. */
    alerts: AlertRules.default(AlertRules.parse({})),
    /** Anomaly screening of updates: flag (and optionally exclude) outliers by robust z-score. */
    anomaly: AnomalySpec.default(AnomalySpec.parse({})),
    /** Keep the best version (highest test accuracy) whatever the retention policy prunes. */
    keepBest: z.boolean().default(true),
    /** A round waits this long for stragglers, then aggregates what arrived. */
    roundTimeoutMs: z.number().int().min(1000).max(3_600_000).default(600_000),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .default(1),
  })
  .strict();

/** Participants per round, as the coordinator picks them: max(1, round(fraction × nodes)). */
export function participantsPerRound(numNodes: number, fraction: number): number {
  return Math.max(1, Math.round(numNodes * fraction));
}

interface RuleInput {
  dataset: RunDataset;
  data?: OwnData | undefined;
  model: RunModel;
  modelTopology?: Record<string, unknown> | undefined;
  trainLimit?: number | undefined;
  partition: z.output<typeof PartitionSpec>;
  numNodes: number;
  fraction: number;
  strategy: StrategySpec;
  reward: RewardSpec;
  byzantine?: ByzantineSpec | undefined;
  aggregation: AggregationSpec;
  compression?: CompressionSpec | undefined;
  nodeSource: "simulated" | "remote";
}

/** The rules tying dataset, data, model and modelTopology together. */
function ownDataViolations(r: RuleInput): RuleViolation[] {
  const out: RuleViolation[] = [];
  if (r.dataset === "own" && !r.data)
    out.push({ path: ["data"], message: 'dataset "own" needs a data block (image folder or CSV)' });
  if (r.dataset !== "own" && r.data)
    out.push({ path: ["dataset"], message: 'a data block needs dataset "own"' });
  if (r.model === "layers" && !r.modelTopology)
    out.push({ path: ["modelTopology"], message: 'model "layers" needs modelTopology' });
  if (r.model !== "layers" && r.modelTopology)
    out.push({ path: ["model"], message: 'modelTopology needs model "layers"' });
  if (r.data?.format === "csv" && r.model === "cnn")
    out.push({
      path: ["model"],
      message: "the CNN needs images; use 2nn, logreg or a layers model for a table",
    });
  if (r.data && r.nodeSource === "simulated" && !r.data.train)
    out.push({
      path: ["data", "train"],
      message: "simulated nodes train on the coordinator's data: declare data.train",
    });
  return out;
}

/**
 * Compression with secure aggregation: quantisation goes into the masking ring (a smaller ring,
 * packed masked values); top-k cannot, as a masked sum needs every coordinate of every input.
 */
function compressionViolations(r: RuleInput): RuleViolation[] {
  if (r.aggregation.mode !== "secure" || !usesCompression(r.compression)) return [];
  if (r.compression.upload.topK !== undefined)
    return [
      {
        path: ["compression", "upload", "topK"],
        message:
          "top-k sparsification cannot be used with secure aggregation: the masks cancel only in a sum over every coordinate, and the coordinates a node sends would reveal where its update is largest",
      },
    ];
  return [];
}

/** A rule across fields that a single field's schema cannot state, and the field to fix. */
export interface RuleViolation {
  path: (string | number)[];
  message: string;
}

/**
 * The cross-field rules of a run request, in one place: the API, the dashboard's form (which shows
 * each next to its field) and the CLI all apply exactly these.
 */
export function runConfigViolations(r: RuleInput): RuleViolation[] {
  const out: RuleViolation[] = [...ownDataViolations(r)];
  const secure = r.aggregation.mode === "secure";
  if (r.byzantine && r.byzantine.fraction > 0 && r.nodeSource === "remote") {
    out.push({
      path: ["byzantine"],
      message:
        "byzantine attackers are simulated nodes; remove byzantine or use nodeSource simulated",
    });
  }
  if (secure && strategyEntry(r.strategy.name).needsIndividualUpdates) {
    out.push({
      path: ["strategy"],
      message:
        "robust strategies (krum, median, trimmed-mean) need every node's update; secure aggregation reveals only their sum",
    });
  }
  if (secure && rewardPolicyEntry(r.reward.policy).needsIndividualUpdates) {
    out.push({
      path: ["reward", "policy"],
      message:
        "secure aggregation hides each node's update, so per-node loss rewards cannot be measured: use reward.policy aggregate-loss",
    });
  }
  if (secure && r.byzantine && r.byzantine.fraction > 0) {
    out.push({
      path: ["byzantine"],
      message:
        "secure aggregation cannot see (or reject) poisoned updates; drop byzantine or use plain aggregation",
    });
  }
  out.push(...compressionViolations(r));
  const trainSize = Math.min(
    r.trainLimit ?? Number.POSITIVE_INFINITY,
    (r.dataset === "own"
      ? r.data?.resolved?.samples.train
      : DATASETS.find((d) => d.id === r.dataset)?.trainSize) ?? Number.POSITIVE_INFINITY,
  );
  if (r.partition.kind === "shards" && r.numNodes * r.partition.shardsPerNode > trainSize) {
    out.push({
      path: ["partition", "shardsPerNode"],
      message: "more shards than training samples; lower numNodes or shardsPerNode",
    });
  }
  const strategy = strategyEntry(r.strategy.name) as {
    checkParticipants?: (p: StrategySpec, perRound: number) => string | undefined;
  };
  const why = strategy.checkParticipants?.(
    r.strategy,
    participantsPerRound(r.numNodes, r.fraction),
  );
  if (why) out.push({ path: ["strategy"], message: why });
  const rewardWhy = rewardPolicyEntry(r.reward.policy).checkParticipants?.(
    participantsPerRound(r.numNodes, r.fraction),
  );
  if (rewardWhy) out.push({ path: ["reward", "policy"], message: rewardWhy });
  return out;
}

export const CreateRunRequest = RunConfigFields.superRefine((r, ctx) => {
  for (const v of runConfigViolations(r)) {
    ctx.addIssue({ code: "custom", path: v.path, message: v.message });
  }
});

export type CreateRunRequest = z.input<typeof CreateRunRequest>;
export type RunConfig = z.output<typeof CreateRunRequest>;

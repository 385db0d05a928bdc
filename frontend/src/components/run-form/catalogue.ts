// What the run form reads from the catalogues and schemas of the domain module: the choices, their
// parameters and defaults. Nothing here repeats a label, a default or a help text.
import type { FieldErrors } from "../../run-request";
import {
  AggregationSpec,
  ATTACKS,
  defaultsOf,
  describeParams,
  PartitionSpec,
  presetById,
  PrivacySpec,
  REWARD_POLICIES,
  RunConfigFields,
  STRATEGIES,
  type CreateRunRequest,
  type ParamDescription,
  type RetentionSpec,
  type SecureAggregationSpec,
} from "../../../../backend/src/domain/index";

export type Schema = Parameters<typeof describeParams>[0];
export type Strategy = CreateRunRequest["strategy"];
export type Partition = CreateRunRequest["partition"];
export type Reward = NonNullable<CreateRunRequest["reward"]>;
export type Byzantine = NonNullable<CreateRunRequest["byzantine"]>;
export type Privacy = NonNullable<CreateRunRequest["privacy"]>;
export type Aggregation = NonNullable<CreateRunRequest["aggregation"]>;
/** A retention policy in full (both parts set), as the form edits it. */
export type Retention = RetentionSpec;

/** What every fieldset of the form gets: the request, its errors by field, and a way to change it. */
export interface SectionProps {
  req: CreateRunRequest;
  errors: FieldErrors;
  update: (change: (r: CreateRunRequest) => CreateRunRequest) => void;
}

/** `obj` with parameter `name` set to `value`, or without it when `value` is undefined. */
export function withParam<T extends object>(obj: T, name: string, value: unknown): T {
  const out = { ...obj } as Record<string, unknown>;
  if (value === undefined) delete out[name];
  else out[name] = value;
  return out as T;
}

const described = new WeakMap<Schema, ParamDescription[]>();

/** The parameters of a variant's schema, without its discriminant (described once per schema). */
export function paramsOf(schema: Schema, discriminant: string): ParamDescription[] {
  let params = described.get(schema);
  if (!params) {
    params = describeParams(schema, [discriminant]);
    described.set(schema, params);
  }
  return params;
}

/**
 * The variant `{ [key]: id }` with its schema's defaults; with `keep`, the values of `keep`'s
 * parameters the new variant has too (a reward's pool, an attacker's fraction) carry over.
 */
export function variant(
  schema: Schema,
  key: string,
  id: string,
  keep?: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { [key]: id, ...defaultsOf(schema) };
  if (keep) {
    for (const p of paramsOf(schema, key))
      if (keep[p.name] !== undefined) out[p.name] = keep[p.name];
  }
  return out;
}

/** The partition kinds, labelled by their schemas' titles and descriptions. */
export const PARTITIONS = PartitionSpec.options.map((schema) => {
  const meta = schema.meta() as { title?: string; description?: string } | undefined;
  const id: Partition["kind"] = schema.shape.kind.value;
  return { id, label: meta?.title ?? id, help: meta?.description ?? "", schema };
});

/** Where the form starts a partition parameter that has no default in its schema. */
const PARTITION_START: Partial<Record<Partition["kind"], Record<string, number>>> = {
  dirichlet: { alpha: 0.5 },
};

export function partitionOf(kind: Partition["kind"]): Partition {
  const entry = PARTITIONS.find((p) => p.id === kind) ?? PARTITIONS[0]!;
  return { ...variant(entry.schema, "kind", entry.id), ...PARTITION_START[entry.id] } as Partition;
}

export const strategyEntry = (id: string) => STRATEGIES.find((s) => s.id === id) ?? STRATEGIES[0];
export const policyEntry = (id: string) =>
  REWARD_POLICIES.find((p) => p.id === id) ?? REWARD_POLICIES[0];
export const attackEntry = (id: string) => ATTACKS.find((a) => a.id === id) ?? ATTACKS[0];

/** A run without reward settings gets the schema's default reward. */
export const DEFAULT_REWARD: Reward = RunConfigFields.shape.reward.parse(undefined);
export const DEFAULT_ROUND_TIMEOUT_MS: number =
  RunConfigFields.shape.roundTimeoutMs.parse(undefined);
/** What a run keeps in the artifact store when the request does not say. */
export const DEFAULT_RETENTION = RunConfigFields.shape.retention.parse(undefined) as Retention;
export const DEFAULT_KEEP_BEST: boolean = RunConfigFields.shape.keepBest.parse(undefined);
/** Secure aggregation with its schema's defaults. */
export const SECURE_AGGREGATION = AggregationSpec.parse({
  mode: "secure",
}) as SecureAggregationSpec;
/** Adaptive clipping with its schema's defaults. */
export const ADAPTIVE_CLIPPING = PrivacySpec.shape.adaptiveClipping.unwrap().parse({});

/** What switching differential privacy on starts from: the DP-FedAvg preset's settings. */
export const DP_START: Privacy = (() => {
  const privacy = presetById("dp-fedavg")?.request.privacy;
  if (!privacy) throw new Error("the dp-fedavg preset has no privacy settings to start DP from");
  return privacy;
})();

/** Every error path the form shows at a field; the others go to the summary above the buttons. */
export const FIELD_PATHS: ReadonlySet<string> = new Set([
  ...["name", "dataset", "model", "trainLimit", "partition", "nodeSource", "minNodes"],
  ...["data", "modelTopology", "data.name", "data.format", "data.train", "data.validation"],
  ...["data.test", "data.holdout", "data.holdout.validation", "data.holdout.test", "data.image"],
  ...["data.image.height", "data.image.width", "data.image.channels", "data.image.resize"],
  ...["data.csv", "data.csv.label", "data.csv.categorical", "data.csv.ignore", "data.classes"],
  "data.csv.delimiter",
  ...["roundTimeoutMs", "numNodes", "fraction", "rounds", "localEpochs", "batchSize"],
  ...["learningRate", "seed", "strategy", "byzantine.attack", "reward.policy"],
  ...["privacy.clipNorm", "privacy.noiseMultiplier", "privacy.delta"],
  ...["privacy.adaptiveClipping.targetQuantile", "privacy.adaptiveClipping.learningRate"],
  ...["aggregation.mode", "aggregation.clipRange", "aggregation.neighbours"],
  "aggregation.stageTimeoutMs",
  ...["initialModel", "initialModel.run", "initialModel.round", "initialModel.hash"],
  ...["stopAtAccuracy", "rollbackDropPoints", "keepBest", "retention.models", "retention.updates"],
  ...["retention.models.k", "retention.models.last", "retention.updates.rounds"],
  ...PARTITIONS.flatMap((p) => paramsOf(p.schema, "kind").map((d) => `partition.${d.name}`)),
  ...STRATEGIES.flatMap((s) => paramsOf(s.schema, "name").map((d) => `strategy.${d.name}`)),
  ...ATTACKS.flatMap((a) => paramsOf(a.schema, "attack").map((d) => `byzantine.${d.name}`)),
  ...REWARD_POLICIES.flatMap((p) => paramsOf(p.schema, "policy").map((d) => `reward.${d.name}`)),
]);

// What a run publishes before its first round: its validation data, its start model (version 0)
// and its spec document, in the artifact store, and its on-chain registration naming the spec's
// hash. Also where a run's start model comes from: fresh weights, or a stored version of another
// run (warm start / rollback), resolved when the run is created.
import { createRequire } from "node:module";
import type { Hex } from "viem";
import type { ArtifactStore } from "../artifacts/artifact-store.js";
import { resolveVersion, storeVersion } from "../artifacts/model-versions.js";
import {
  encodeRunSpec,
  encodeValidation,
  EVALUATION,
  MODEL_SPEC_VERSION,
  RUN_SPEC_FORMAT,
  type RunSpecDocument,
} from "../artifacts/run-spec.js";
import {
  invalid,
  ownDataSpecOf,
  runDatasetLabel,
  runModelRef,
  usesCompression,
  type RunConfig,
} from "../domain/index.js";
import { modelLabel, parameterCount } from "../engine/models/model-ref.js";
import { keccak256Bytes } from "../nodes/keccak.js";
import { encodePolicyParams, policyId } from "../rewards/reward-policy.js";
import { outboxRepo } from "../store/repos/outbox-repo.js";
import type { StoredRun } from "../store/repos/runs-repo.js";
import type { SqlDatabase, SqlExecutor } from "../store/sql-database.js";
import type { RunEngine } from "./run-engine.js";
import { chainRunIdFor, policyFor, VALIDATION_SIZE } from "./run-state-builder.js";

const require = createRequire(import.meta.url);
const VERSIONS = {
  fedledger: (require("../../../package.json") as { version: string }).version,
  tfjs: (require("@tensorflow/tfjs/package.json") as { version: string }).version,
};

/**
 * Resolves a run's initialModel ({run, round} or {hash}) to a stored version of the right size,
 * so a run that cannot start from it is refused when created (400), not when it starts.
 */
export async function resolveInitialModel(
  db: SqlExecutor,
  store: ArtifactStore,
  config: RunConfig,
): Promise<RunConfig> {
  const spec = config.initialModel;
  if (!spec) return config;
  let hash: Hex | undefined;
  if ("hash" in spec && !("run" in spec)) hash = spec.hash as Hex;
  else if ("run" in spec) {
    const v = await resolveVersion(db, spec.run, spec.round);
    if (!v)
      throw invalid(
        "initial_model_not_found",
        `run ${spec.run} has no model version ${spec.round}`,
      );
    hash = v.hash;
  }
  const info = hash ? await store.info(db, hash) : undefined;
  if (!hash || !info || info.prunedAt !== null) {
    throw invalid(
      "initial_model_not_found",
      `no stored model ${hash ?? ""} to start from (never stored, or pruned by its run's retention)`,
    );
  }
  const expected = parameterCount(runModelRef(config)) * 4;
  if (info.bytes !== expected) {
    throw invalid(
      "initial_model_mismatch",
      `model ${hash} has ${info.bytes / 4} parameters; a ${modelLabel(runModelRef(config))} has ${expected / 4}`,
    );
  }
  return { ...config, initialModel: { ...spec, hash } } as RunConfig;
}

/** The round-1 start model: the stored version it names, or fresh seeded weights. */
export async function initialWeightsFor(
  store: ArtifactStore,
  config: RunConfig,
  engine: RunEngine,
): Promise<Float32Array> {
  const hash =
    config.initialModel && "hash" in config.initialModel ? config.initialModel.hash : undefined;
  if (!hash) return engine.initialWeights(config.seed);
  const bytes = await store.read(hash as Hex);
  return new Float32Array(bytes.slice().buffer);
}

/**
 * Publishes the run's validation data, start model and spec document, and queues its on-chain
 * registration with the spec's hash. Idempotent (a resumed run finds them already there).
 */
export async function publishRunSpec(
  db: SqlDatabase,
  store: ArtifactStore,
  run: StoredRun,
  engine: RunEngine,
  initial: Float32Array,
): Promise<Hex> {
  const config = run.config;
  const validationBytes = encodeValidation(engine.validation.x, engine.validation.y);
  const validationHash = await store.write(validationBytes);
  const initialBytes = new Uint8Array(initial.buffer, initial.byteOffset, initial.byteLength);
  const initialHash = await store.write(initialBytes);
  const chainRunId = (run.chainRunId ?? chainRunIdFor(run.id)) as Hex;
  const doc: RunSpecDocument = {
    format: RUN_SPEC_FORMAT,
    runId: run.id,
    chainRunId,
    dataset: {
      id: config.dataset,
      trainLimit: config.trainLimit ?? null,
      trainLabelsDigest: keccak256Bytes(engine.trainLabels),
      ...(config.data ? { own: ownDataSpecOf(config.data) } : {}),
    },
    validation: {
      hash: validationHash,
      samples: engine.validation.y.length,
      source:
        config.dataset === "own"
          ? `the coordinator's validation data of ${runDatasetLabel(config)} (${config.data?.validation ?? "held out of train"})`
          : `the first ${VALIDATION_SIZE} samples of ${config.dataset}'s test split`,
    },
    model: {
      kind: config.model,
      ...(typeof runModelRef(config) === "string" ? {} : { ref: runModelRef(config) }),
      parameterCount: engine.parameterCount,
      specVersion: MODEL_SPEC_VERSION,
    },
    engine: {
      name: "fedledger",
      version: VERSIONS.fedledger,
      tfjs: VERSIONS.tfjs,
      backend: engine.backendName,
      evaluation: EVALUATION,
    },
    initialModel: { hash: initialHash, from: config.initialModel ?? null },
    reward: config.reward,
    aggregation: config.aggregation.mode,
    ...(usesCompression(config.compression) ? { compression: config.compression } : {}),
    seed: config.seed,
    partition: config.partition,
  };
  const spec = encodeRunSpec(doc);
  await store.write(spec.bytes, spec.hash);
  const policy = policyFor(config);
  await db.transaction(async (tx) => {
    await store.index(tx, "validation", validationHash, validationBytes.byteLength);
    await store.ref(tx, { runId: run.id, round: 0, kind: "validation", hash: validationHash });
    await storeVersion(tx, store, run.id, 0, initial, initialHash);
    await store.index(tx, "spec", spec.hash, spec.bytes.byteLength);
    await store.ref(tx, { runId: run.id, round: 0, kind: "spec", hash: spec.hash });
    await outboxRepo.enqueue(tx, {
      id: `register-run:${run.id}`,
      kind: "register-run",
      runId: run.id,
      payload: {
        chainRunId,
        policyId: policyId(policy.name),
        policyParams: encodePolicyParams(policy),
        specHash: spec.hash,
      },
    });
  });
  return spec.hash;
}

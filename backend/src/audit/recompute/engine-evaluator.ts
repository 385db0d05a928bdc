// Evaluation for the CLI audit: the engine's own evaluateWeights, on the same TensorFlow.js backend
// choice and batch size the coordinator's workers use, so honest losses reproduce bit for bit.
import { EVALUATION, encodeValidation, type RunSpecDocument } from "../../artifacts/run-spec.js";
import { EvalSet, evaluateWeights, loadDataset, selectBackend } from "../../engine/index.js";
import { keccak256Bytes } from "../../nodes/keccak.js";
import type { EvaluatorFactory, Validation } from "./recompute-types.js";
import type { SpecCheck } from "./spec-checks.js";

export const engineEvaluator: EvaluatorFactory = async (model, validation) => {
  await selectBackend();
  const set = new EvalSet(validation);
  return {
    losses: async (models) =>
      evaluateWeights(model, models, set, EVALUATION.batchSize).map((r) => r.loss),
    dispose: () => set.dispose(),
  };
};

/**
 * For a public dataset the auditor can load: the validation split must be the one the spec
 * describes (carved from the dataset's test split), not samples the coordinator picked.
 */
export async function datasetCheck(
  spec: RunSpecDocument,
  validation: Validation,
): Promise<SpecCheck[]> {
  const name = "validation split is the public dataset's";
  if (spec.dataset.own)
    return [
      {
        id: "dataset",
        name,
        ok: true,
        detail: `own data "${spec.dataset.own.name}": the coordinator's validation data is its own, checked by its hash only`,
      },
    ];
  try {
    const data = await loadDataset(spec.dataset.id as never, {
      ...(spec.dataset.trainLimit ? { trainLimit: spec.dataset.trainLimit } : {}),
      seed: 1,
    });
    const mine = keccak256Bytes(encodeValidation(data.validation.x, data.validation.y));
    const theirs = keccak256Bytes(encodeValidation(validation.x, validation.y));
    return [
      {
        id: "dataset",
        name,
        ok: mine === theirs,
        detail:
          mine === theirs
            ? `re-derived from ${spec.dataset.id} here`
            : `${spec.dataset.id} here gives ${mine}, the run's split is ${theirs}`,
      },
    ];
  } catch (err) {
    return [{ id: "dataset", name, ok: true, detail: `not checked: ${(err as Error).message}` }];
  }
}

// A run's model version written out as a TF.js LayersModel (model.json + weights.bin), offline,
// straight from the coordinator's store: the version's bytes are read from the artifact store and
// checked against the hash the chain records before anything is written.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { runModelRef } from "../domain/index.js";
import type { SqlExecutor } from "../store/sql-database.js";
import { runsRepo } from "../store/repos/runs-repo.js";
import type { ArtifactStore } from "./artifact-store.js";
import { resolveVersion, type ModelVersion } from "./model-versions.js";
import { tfjsModelJson, WEIGHTS_FILE } from "./tfjs-export.js";
import { ModelExportError, type VersionChoice } from "./version-choice.js";

export { ModelExportError, parseVersionChoice, type VersionChoice } from "./version-choice.js";

export interface ModelExportResult {
  runId: string;
  version: ModelVersion;
  files: { modelJson: string; weights: string };
}

/** Writes run `runId`'s version `which` to `outDir` as model.json and weights.bin. */
export async function exportModelVersion(
  db: SqlExecutor,
  store: ArtifactStore,
  runId: string,
  which: VersionChoice,
  outDir: string,
): Promise<ModelExportResult> {
  const run = await runsRepo.get(db, runId);
  if (!run) throw new ModelExportError(`no run ${runId} in this store`);
  const version = await resolveVersion(db, runId, which);
  if (!version) throw new ModelExportError(`run ${runId} has no model version ${which}`);
  if (!version.stored)
    throw new ModelExportError(
      `version ${version.round} of ${runId} was pruned by the run's retention policy; its hash ${version.hash} stays on chain`,
    );
  const weights = await store.read(version.hash);
  await mkdir(outDir, { recursive: true });
  const modelJson = path.join(outDir, "model.json");
  const weightsFile = path.join(outDir, WEIGHTS_FILE);
  await writeFile(weightsFile, weights);
  await writeFile(
    modelJson,
    `${JSON.stringify({ ...tfjsModelJson(runModelRef(run.config), WEIGHTS_FILE), userDefinedMetadata: { fedledger: describe(runId, version) } }, null, 2)}\n`,
  );
  return { runId, version, files: { modelJson, weights: weightsFile } };
}

/** Where the weights came from, kept in model.json as TF.js user-defined metadata. */
function describe(runId: string, v: ModelVersion) {
  return {
    runId,
    round: v.round,
    modelHash: v.hash,
    txHash: v.txHash,
    testAccuracy: v.testAccuracy,
    testLoss: v.testLoss,
  };
}

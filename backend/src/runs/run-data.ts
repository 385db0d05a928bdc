// A run's own data and model, checked when the run is created: the declared dataset resolved
// against the coordinator's files (under its data root, nowhere else) and stored with the run,
// the model (built-in sized for the data, or a declared Layers topology) built once to check it.
// Everything wrong answers 400 with what to fix, before the run exists.
import { realpathSync } from "node:fs";
import path from "node:path";
import { invalid, runModelRef, type ResolvedOwnData, type RunConfig } from "../domain/index.js";
import { DataSourceError } from "../engine/datasets/data-source-error.js";
import { resolveOwnData } from "../engine/datasets/resolve-own-data.js";
import { resolveModel } from "../engine/models/model-ref.js";
import { ownDataFiles } from "../data-root/own-data-files.js";

/** `text` with the data root's absolute path (and its real path) taken out of the file names. */
function withoutRoot(text: string, root: string): string {
  const roots = [path.resolve(root), realpathSync(root)].map((r) => r + path.sep);
  return roots.reduce((t, r) => t.replaceAll(r, ""), text);
}

/** Which parts of two resolutions differ (a request carrying `resolved` from an earlier run). */
function differences(a: ResolvedOwnData, b: ResolvedOwnData): string[] {
  const out: string[] = [];
  const same = (x: unknown, y: unknown) => JSON.stringify(x) === JSON.stringify(y);
  if (!same(a.classNames, b.classNames))
    out.push(`classes [${a.classNames.join(", ")}] are now [${b.classNames.join(", ")}]`);
  if (!same(a.inputShape, b.inputShape))
    out.push(`input shape [${a.inputShape.join(", ")}] is now [${b.inputShape.join(", ")}]`);
  if (!same(a.csv, b.csv)) out.push("the table's features or their standardisation changed");
  if (!same(a.samples, b.samples)) out.push("the sample counts changed");
  return out;
}

async function resolveData(config: RunConfig, root: string): Promise<RunConfig> {
  const data = config.data;
  if (config.dataset !== "own" || !data) return config;
  const files = await ownDataFiles(data, root);
  let resolved: ResolvedOwnData;
  try {
    const r = await resolveOwnData(data, files);
    resolved = {
      inputShape: r.spec.inputShape,
      classNames: r.spec.classNames,
      ...(r.spec.csv ? { csv: r.spec.csv } : {}),
      samples: r.samples,
    };
  } catch (err) {
    // Paths are named as the request gave them, relative to the root (which stays private).
    if (err instanceof DataSourceError)
      throw invalid("data_invalid", `data: ${withoutRoot(err.message, root)}`);
    throw err;
  }
  if (data.resolved) {
    const diff = differences(data.resolved, resolved);
    if (diff.length)
      throw invalid(
        "data_changed",
        `data.resolved does not match the files now: ${diff.join("; ")}. Drop data.resolved to resolve it anew.`,
      );
  }
  return { ...config, data: { ...data, resolved } };
}

/** Resolves a run's own data (if any) and checks its model; returns the config to store. */
export async function resolveRunData(config: RunConfig, dataRoot: string): Promise<RunConfig> {
  const resolved = await resolveData(config, dataRoot);
  try {
    resolveModel(runModelRef(resolved));
  } catch (err) {
    throw invalid("model_invalid", `model: ${(err as Error).message}`);
  }
  return resolved;
}

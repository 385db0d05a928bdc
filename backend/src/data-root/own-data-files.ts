// A run's own-data paths, made absolute under the coordinator's data root (FEDLEDGER_DATA_ROOT)
// and refused when they lead anywhere else (a stranger's run request must not make the coordinator
// read /etc/passwd, or follow a link out of the root).
import { realpath } from "node:fs/promises";
import path from "node:path";
import { invalid, type OwnData } from "../domain/index.js";
import type { OwnDataFiles } from "../engine/datasets/own-data.js";

/** Where run data paths point when FEDLEDGER_DATA_ROOT is not set: the repository's datasets/. */
export const DEFAULT_DATA_ROOT = path.resolve(import.meta.dirname, "..", "..", "..", "datasets");

/** One declared path, made absolute under the data root; a link leading out of it is refused. */
async function underRoot(root: string, rel: string, field: string): Promise<string> {
  const realRoot = await realpath(root).catch(() => {
    throw invalid(
      "data_root_missing",
      `the coordinator's data root ${root} does not exist (FEDLEDGER_DATA_ROOT)`,
    );
  });
  const abs = path.resolve(realRoot, rel);
  const real = await realpath(abs).catch(() => {
    throw invalid("data_not_found", `data.${field}: ${rel} does not exist under the data root`);
  });
  if (real !== realRoot && !real.startsWith(realRoot + path.sep))
    throw invalid("data_outside_root", `data.${field}: ${rel} leads outside the data root`);
  return real;
}

/** The coordinator's files of a run's own data, as absolute paths under the data root. */
export async function ownDataFiles(data: OwnData, root: string): Promise<OwnDataFiles> {
  const out: OwnDataFiles = {};
  for (const field of ["train", "validation", "test"] as const) {
    const rel = data[field];
    if (rel !== undefined) out[field] = await underRoot(root, rel, field);
  }
  if (data.holdout) out.holdout = data.holdout;
  return out;
}

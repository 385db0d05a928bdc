// Which model version a command asks for, and the error a model export reports (light: no store
// and no TF.js, so a command line can parse its arguments before loading either).
export type VersionChoice = number | "best" | "last";

/** Why an export cannot be written (no such run or version, or its weights were pruned). */
export class ModelExportError extends Error {
  override name = "ModelExportError";
}

/** "best", "last" or a round number (0 is the run's start model). */
export function parseVersionChoice(raw: string): VersionChoice {
  if (raw === "best" || raw === "last") return raw;
  if (/^\d+$/.test(raw)) return Number(raw);
  throw new ModelExportError(`--round must be a round number, best or last, not "${raw}"`);
}

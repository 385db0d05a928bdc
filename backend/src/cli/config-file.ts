// `fedledger run <file> --set key=value`: reads a YAML or JSON run config file, applies the
// overrides, and validates the result with the API's own schema (domain/run-file.ts), so a
// mistake is reported with the field and the allowed values before anything is sent.
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { parseRunFileText, RunFileError, validateRunFile, type RunFile } from "../domain/index.js";
import { usageError } from "./command.js";

/**
 * Sets `path` (dots between keys) in `target` to `raw` read as a YAML value, so `rounds=3` is a
 * number, `strategy.name=fedprox` a string and `partition={kind: dirichlet, alpha: 0.5}` an object.
 */
export function applyOverride(target: Record<string, unknown>, assignment: string): void {
  const eq = assignment.indexOf("=");
  if (eq <= 0) throw usageError(`--set ${assignment}: expected key=value (e.g. --set rounds=3)`);
  const keys = assignment.slice(0, eq).trim().split(".");
  if (keys.some((k) => k === "" || k === "__proto__" || k === "constructor" || k === "prototype"))
    throw usageError(`--set ${assignment}: "${assignment.slice(0, eq)}" is not a field path`);
  let value: unknown;
  try {
    value = parseYaml(assignment.slice(eq + 1));
  } catch (err) {
    throw usageError(`--set ${assignment}: ${(err as Error).message}`);
  }
  let node = target;
  for (const k of keys.slice(0, -1)) {
    const next = node[k];
    if (next === null || typeof next !== "object" || Array.isArray(next)) node[k] = {};
    node = node[k] as Record<string, unknown>;
  }
  node[keys.at(-1)!] = value ?? null;
}

/** Reads, overrides and validates a run config file; throws a usage error naming each problem. */
export function loadRunFile(file: string, overrides: readonly string[] = []): RunFile {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw usageError(`cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    const value = parseRunFileText(text, file);
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      for (const o of overrides) applyOverride(value as Record<string, unknown>, o);
    }
    return validateRunFile(
      value,
      overrides.length ? `${file} with --set ${overrides.join(" --set ")}` : file,
    );
  } catch (err) {
    if (err instanceof RunFileError) throw usageError(`invalid run config in ${err.message}`);
    throw err;
  }
}

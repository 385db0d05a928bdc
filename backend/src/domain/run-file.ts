// Run config files (YAML or JSON): a run request as POST /api/runs takes it, validated with the
// same CreateRunRequest schema, plus two optional keys that are not part of the run: `$schema` (for
// editors) and `preset` (the label and help a file in presets/ shows in the dashboard). The CLI,
// the presets and the published JSON Schema all read files through here.
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { CreateRunRequest, RunConfigFields } from "./run-config.js";

/** The dashboard label and help of a preset file (presets/*.yaml); ignored by `fedledger run`. */
export const PresetInfo = z
  .object({
    label: z.string().trim().min(1).max(80),
    help: z.string().trim().min(1).max(1000),
    /** Where the preset is listed (lowest first; the first is the form's default). */
    order: z.number().int().min(0).max(1000).optional(),
  })
  .strict();
export type PresetInfo = z.infer<typeof PresetInfo>;

const FileMeta = z.object({ $schema: z.string().optional(), preset: PresetInfo.optional() });

/** A run config file's whole shape: the run config's fields and the two keys above. */
export const RunFileFields = RunConfigFields.extend(FileMeta.shape).strict();

export interface RunFile {
  /** The run config exactly as written (defaults not filled in), valid for CreateRunRequest. */
  request: CreateRunRequest;
  preset?: PresetInfo;
}

/** A config file (or value) that does not hold a valid run config: one line per problem. */
export class RunFileError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`${source}:\n${problems.map((p) => `  ${p}`).join("\n")}`);
    this.name = "RunFileError";
  }
}

/** The JSON Schema of a run config file, for editors (`fedledger schema > run.schema.json`). */
export function runFileJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(RunFileFields, { io: "input", unrepresentable: "any" });
  return {
    ...schema,
    title: "FedLedger run config",
    description:
      "A FedLedger run: the body of POST /api/runs, as a YAML or JSON file for `fedledger run`. Cross-field rules (secure aggregation vs. robust strategies, shards vs. samples, ...) are checked by the coordinator and `fedledger run --dry-run`.",
  };
}

const ALLOWED_KEYS: Record<string, readonly string[]> = {};

/** The keys an object at `path` may have, when the schema says so (for "unknown field" hints). */
function allowedKeys(path: readonly PropertyKey[]): readonly string[] | undefined {
  if (path.length === 0) return (ALLOWED_KEYS[""] ??= Object.keys(RunFileFields.shape));
  const field = RunConfigFields.shape[String(path[0]) as keyof typeof RunConfigFields.shape];
  if (path.length === 1 && field) {
    const inner = (field as { unwrap?: () => unknown }).unwrap?.() ?? field;
    const shape = (inner as { shape?: Record<string, unknown> }).shape;
    if (shape) return Object.keys(shape);
  }
  return undefined;
}

/** Zod issues as lines that name the field and, where there is a list, the allowed values. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((i) => {
    const where = i.path.map(String).join(".") || "(top level)";
    if (i.code === "unrecognized_keys") {
      const allowed = allowedKeys(i.path);
      return `${where}: unknown field${i.keys.length > 1 ? "s" : ""} ${i.keys.map((k) => `"${k}"`).join(", ")}${allowed ? `; allowed: ${allowed.join(", ")}` : ""}`;
    }
    if (i.code === "invalid_type" && i.message.endsWith("received undefined"))
      return `${where}: missing (required, ${i.expected})`;
    return `${where}: ${i.message}`;
  });
}

/** Parses a file's text: JSON when its name ends in .json, YAML otherwise (JSON is YAML too). */
export function parseRunFileText(text: string, source: string): unknown {
  try {
    return source.toLowerCase().endsWith(".json") ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new RunFileError(source, [
      `not valid ${source.endsWith(".json") ? "JSON" : "YAML"}: ${(err as Error).message}`,
    ]);
  }
}

/** Splits a parsed file into its run config and its file-only keys, checking both. */
export function validateRunFile(value: unknown, source: string): RunFile {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new RunFileError(source, ["(top level): expected a mapping of run config fields"]);
  }
  const { $schema: _schema, preset, ...config } = value as Record<string, unknown>;
  const problems: string[] = [];
  const meta = PresetInfo.optional().safeParse(preset);
  if (!meta.success)
    problems.push(
      ...describeIssues(meta.error.issues.map((i) => ({ ...i, path: ["preset", ...i.path] }))),
    );
  const parsed = CreateRunRequest.safeParse(config);
  if (!parsed.success) problems.push(...describeIssues(parsed.error.issues));
  if (problems.length > 0) throw new RunFileError(source, problems);
  return {
    request: config as CreateRunRequest,
    ...(meta.data ? { preset: meta.data } : {}),
  };
}

/** A run config file's text, parsed and validated (throws RunFileError naming each field). */
export function parseRunFile(text: string, source: string): RunFile {
  return validateRunFile(parseRunFileText(text, source), source);
}

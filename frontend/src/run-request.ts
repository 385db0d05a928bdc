import {
  CreateRunRequest as CreateRunRequestSchema,
  RunConfigFields,
  runConfigViolations,
  type CreateRunRequest,
} from "../../backend/src/domain/index";

export type FieldErrors = Record<string, string>;

export type Validation =
  { ok: true; request: CreateRunRequest } | { ok: false; errors: FieldErrors };

/**
 * Checks a run request exactly as the coordinator does (CreateRunRequest: every field's schema,
 * then the cross-field rules of runConfigViolations), keyed by the form field to fix, so mistakes
 * show next to the field instead of as a 400 after submitting.
 */
export function validateRunRequest(input: CreateRunRequest): Validation {
  const request = clean(input);
  // The cross-field rules first: zod checks CreateRunRequest's refinement only once every field
  // parses, and a conflict should show as soon as it is chosen.
  const errors = ruleErrors(request);
  const parsed = CreateRunRequestSchema.safeParse(request);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) errors[fieldFor(issue.path)] ??= issue.message;
  }
  return Object.keys(errors).length ? { ok: false, errors } : { ok: true, request };
}

/**
 * The coordinator's cross-field rules (runConfigViolations) for a request as the form holds it,
 * even while some field does not parse, keyed by the form field to fix.
 */
export function ruleErrors(input: CreateRunRequest): FieldErrors {
  const errors: FieldErrors = {};
  for (const v of violations(clean(input))) errors[fieldFor(v.path)] ??= v.message;
  return errors;
}

type RuleInput = Parameters<typeof runConfigViolations>[0];

function violations(request: CreateRunRequest) {
  // Each field as the coordinator reads it (defaults filled in) where it parses on its own; the
  // rules only compare fields, so one that does not parse yet is passed as it is.
  const fields: Record<
    string,
    { safeParse: (v: unknown) => { success: boolean; data?: unknown } }
  > = RunConfigFields.shape;
  const input: Record<string, unknown> = { ...request };
  for (const [key, schema] of Object.entries(fields)) {
    const parsed = schema.safeParse(input[key]);
    if (parsed.success) input[key] = parsed.data;
  }
  try {
    return runConfigViolations(input as unknown as RuleInput);
  } catch {
    // An id no catalogue knows: the schema reports it at its field.
    return [];
  }
}

/** The schema's object-level rules name a whole object; the form shows them at this field. */
const FIELD_FOR_PATH: Record<string, string> = {
  aggregation: "aggregation.mode",
  byzantine: "byzantine.fraction",
};

function fieldFor(path: readonly PropertyKey[]): string {
  const raw = path.map(String).join(".") || "(form)";
  return FIELD_FOR_PATH[raw] ?? raw;
}

/** Drops empty optional fields so the request body carries only what the user set. */
export function clean(input: CreateRunRequest): CreateRunRequest {
  const out: CreateRunRequest = { ...input };
  if (!out.name?.trim()) delete out.name;
  else out.name = out.name.trim();
  if (out.trainLimit === undefined || Number.isNaN(out.trainLimit)) delete out.trainLimit;
  if (!out.byzantine || out.byzantine.fraction === 0) delete out.byzantine;
  if (!out.privacy) delete out.privacy;
  else if (!out.privacy.adaptiveClipping) {
    const { adaptiveClipping: _none, ...privacy } = out.privacy;
    out.privacy = privacy;
  }
  if (!out.aggregation) delete out.aggregation;
  else if (out.aggregation.mode === "secure") {
    const { neighbours, ...rest } = out.aggregation;
    out.aggregation =
      neighbours === undefined || Number.isNaN(neighbours) ? rest : { ...rest, neighbours };
  }
  return out;
}

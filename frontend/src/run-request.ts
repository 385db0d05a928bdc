import { CreateRunRequest as CreateRunRequestSchema } from "../../backend/src/api/schemas";
import type { CreateRunRequest } from "../../backend/src/api/schemas";

export type FieldErrors = Record<string, string>;

export type Validation =
  { ok: true; request: CreateRunRequest } | { ok: false; errors: FieldErrors };

/**
 * Checks a run request exactly as the coordinator will (the same zod schema, plus its cross-field
 * rules) so mistakes show next to the field instead of as a 400 after submitting.
 */
export function validateRunRequest(input: CreateRunRequest): Validation {
  const request = clean(input);
  const errors: FieldErrors = {};
  const parsed = CreateRunRequestSchema.safeParse(request);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.join(".") || "(form)";
      errors[path] ??= issue.message;
    }
  } else {
    const c = parsed.data;
    if (
      c.partition.kind === "shards" &&
      c.numNodes * c.partition.shardsPerNode > (c.trainLimit ?? 60_000)
    )
      errors["partition.shardsPerNode"] =
        "More shards than training samples: lower the node count or shards per node.";
    if (c.strategy.name === "krum" && c.numNodes * c.fraction < 2 * c.strategy.f + 3)
      errors["strategy.f"] =
        `Krum with f = ${c.strategy.f} needs at least ${2 * c.strategy.f + 3} participants per round (nodes × fraction).`;
  }
  return Object.keys(errors).length ? { ok: false, errors } : { ok: true, request };
}

/** Drops empty optional fields so the request body carries only what the user set. */
export function clean(input: CreateRunRequest): CreateRunRequest {
  const out: CreateRunRequest = { ...input };
  if (!out.name?.trim()) delete out.name;
  else out.name = out.name.trim();
  if (out.trainLimit === undefined || Number.isNaN(out.trainLimit)) delete out.trainLimit;
  if (!out.byzantine || out.byzantine.fraction === 0) delete out.byzantine;
  return out;
}

/** Participants per round, as the coordinator picks them: max(1, round(fraction × nodes)). */
export function participantsPerRound(numNodes: number, fraction: number): number {
  return Math.max(1, Math.round(numNodes * fraction));
}

import { CreateRunRequest as CreateRunRequestSchema } from "../../backend/src/domain/index";
import type { CreateRunRequest } from "../../backend/src/domain/index";

export type FieldErrors = Record<string, string>;

export type Validation =
  { ok: true; request: CreateRunRequest } | { ok: false; errors: FieldErrors };

/**
 * Checks a run request exactly as the coordinator will (the same zod schema, plus its cross-field
 * rules) so mistakes show next to the field instead of as a 400 after submitting.
 */
export function validateRunRequest(input: CreateRunRequest): Validation {
  const request = clean(input);
  // The secure-aggregation rules first: zod checks its refinements only once every field parses,
  // and these should show as soon as the combination is chosen.
  const errors: FieldErrors = aggregationConflicts(request);
  const parsed = CreateRunRequestSchema.safeParse(request);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const raw = issue.path.join(".") || "(form)";
      const path = FIELD_FOR_PATH[raw] ?? raw;
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

/** The schema's object-level refinements name a whole object; the form shows them at this field. */
const FIELD_FOR_PATH: Record<string, string> = {
  aggregation: "aggregation.mode",
  byzantine: "byzantine.fraction",
};

const ROBUST: ReadonlySet<string> = new Set(["krum", "median", "trimmed-mean"]);

/**
 * The coordinator's rules for secure aggregation (the refinements of CreateRunRequest in
 * backend/src/api/schemas.ts), keyed by the form field to fix. It hides each node's update, so
 * nothing may need one: no per-node reward policy, no robust strategy, no Byzantine simulation.
 * (Which node sources it supports is left to the schema: the form does not choose nodeSource.)
 */
export function aggregationConflicts(req: CreateRunRequest): FieldErrors {
  const errors: FieldErrors = {};
  if (req.aggregation?.mode !== "secure") return errors;
  const policy = req.reward?.policy ?? "loss-improvement";
  if (policy !== "aggregate-loss")
    errors["reward.policy"] =
      "Secure aggregation hides each node's update, so per-node loss rewards cannot be measured: choose Aggregate loss.";
  if (ROBUST.has(req.strategy.name))
    errors.strategy =
      "Robust strategies (Krum, median, trimmed mean) need every node's update; secure aggregation reveals only their sum.";
  if (req.byzantine && req.byzantine.fraction > 0)
    errors["byzantine.fraction"] =
      "Secure aggregation cannot see (or reject) poisoned updates: set Byzantine nodes to 0 or use plain aggregation.";
  return errors;
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

/** Participants per round, as the coordinator picks them: max(1, round(fraction × nodes)). */
export function participantsPerRound(numNodes: number, fraction: number): number {
  return Math.max(1, Math.round(numNodes * fraction));
}

// The re-execution audit, pure: from the chain's events and the artifacts behind their hashes,
// re-evaluate every loss a run's rewards were computed from, with the run's recorded policy and
// seed, and say per contribution whether the chain's numbers are what the artifacts give. The CLI
// (npm run audit -- --recompute) and the dashboard's Ledger page both run exactly this; they differ
// only in where artifacts come from and which TensorFlow.js backend evaluates.
import type { Hex } from "viem";
import type { ChainContribution, ChainRound, LedgerSnapshot } from "../../chain/ledger-events.js";
import { scoreContributions } from "../../rewards/contribution-scorer.js";
import { lossToFixed, fixedToLoss } from "../../rewards/fixed-point.js";
import { splitRewards, type RewardPolicy } from "../../rewards/reward-policy.js";
import { checkSpec, type SpecCheck } from "./spec-checks.js";
import type {
  EvaluatorFactory,
  ModelEvaluator,
  RecomputeSource,
  Validation,
} from "./recompute-types.js";
import { cachedSource, fetchVerified, type Fetched } from "./fetch-verified.js";
import type { RunSpecDocument } from "../../artifacts/run-spec-format.js";
import type { ModelKind } from "../../engine/models/catalogue.js";
import { PayloadError } from "../../compression/payload-format.js";
import { tensorSizes } from "../../compression/run-compression.js";
import { decodeUpload } from "../../compression/update-compression.js";
import { usesCompression } from "../../domain/compression.js";

export type * from "./recompute-types.js";
export type { SpecCheck } from "./spec-checks.js";

/**
 * How far a recomputed loss may be from the chain's: relative to the loss (absolute below 1).
 * Same engine and backend reproduce the coordinator's float32 evaluation bit for bit (measured
 * deviation 0 in the tests and bench:recompute); a different TensorFlow.js backend (the browser's
 * WebGL or CPU against the coordinator's SIMD kernels) sums float32 in another order, which the
 * browser e2e test keeps within this bound. 1e-5 is far below anything that moves a reward.
 */
export const DEFAULT_TOLERANCE = 1e-5;

export type ContributionStatus =
  "verified" | "mismatch" | "artifact-missing" | "artifact-corrupt" | "not-recomputed";

export interface ContributionRecompute {
  node: string;
  updateHash: Hex;
  recorded: { lossBefore: number; lossAfter: number; reward: bigint };
  recomputed?: { lossBefore: number; lossAfter: number; reward: bigint };
  /** Largest relative deviation of the two losses. */
  deviation?: number;
  status: ContributionStatus;
  detail: string;
}

export interface RoundRecompute {
  round: number;
  modelHash: Hex;
  startHash: Hex | undefined;
  status: "verified" | "mismatch" | "incomplete";
  detail: string;
  contributions: ContributionRecompute[];
  /** Bytes of the round's artifacts fetched (start, model, updates), and evaluation time. */
  bytes: number;
  ms: number;
}

export interface RecomputeReport {
  ok: boolean;
  spec: SpecCheck[];
  rounds: RoundRecompute[];
  tolerance: number;
  /** Largest deviation over every recomputed loss. */
  maxDeviation: number;
  counts: Record<ContributionStatus, number>;
}

export interface RecomputeOptions {
  snapshot: LedgerSnapshot;
  chainRunId: Hex;
  source: RecomputeSource;
  evaluatorFor: EvaluatorFactory;
  /** Checks the caller can add once the spec is known (the CLI re-derives the validation split). */
  extraChecks?: (spec: RunSpecDocument, validation: Validation) => Promise<SpecCheck[]>;
  /** keccak256 of bytes (hash-wasm in Node, viem in the browser). */
  hash: (bytes: Uint8Array) => Hex;
  /** Only rounds in [from, to] (inclusive). */
  rounds?: { from: number; to: number };
  tolerance?: number;
  onProgress?: (done: number, total: number, round: number) => void;
}

const lower = (s: string) => s.toLowerCase();

/** Re-executes the scoring of every (selected) round of a run. */
export async function recomputeRun(opts: RecomputeOptions): Promise<RecomputeReport> {
  const tolerance = opts.tolerance ?? DEFAULT_TOLERANCE;
  const source = cachedSource(opts.source);
  const { spec, checks, validation } = await checkSpec({ ...opts, source });
  if (spec && validation && opts.extraChecks)
    checks.push(...(await opts.extraChecks(spec, validation)));
  const chainRounds = opts.snapshot.rounds
    .filter((r) => lower(r.chainRunId) === lower(opts.chainRunId))
    .sort((a, b) => a.round - b.round);
  const selected = chainRounds.filter(
    (r) => !opts.rounds || (r.round >= opts.rounds.from && r.round <= opts.rounds.to),
  );
  const rounds: RoundRecompute[] = [];
  if (spec && validation && checks.every((c) => c.ok)) {
    const refs = await source.refs(spec.runId);
    const starts = new Map(refs.filter((r) => r.kind === "start").map((r) => [r.round, r.hash]));
    const evaluator = await opts.evaluatorFor(
      spec.model.ref ?? (spec.model.kind as ModelKind),
      validation,
    );
    const ctx: RoundContext = {
      ...opts,
      source,
      evaluator,
      spec,
      validation,
      chainRounds,
      starts,
      tolerance,
    };
    try {
      for (const [i, r] of selected.entries()) {
        rounds.push(await recomputeRound(ctx, r));
        opts.onProgress?.(i + 1, selected.length, r.round);
      }
    } finally {
      evaluator.dispose();
    }
  }
  const all = rounds.flatMap((r) => r.contributions);
  const counts = {
    verified: 0,
    mismatch: 0,
    "artifact-missing": 0,
    "artifact-corrupt": 0,
    "not-recomputed": 0,
  } satisfies Record<ContributionStatus, number>;
  for (const c of all) counts[c.status]++;
  return {
    ok:
      checks.every((c) => c.ok) &&
      rounds.length === selected.length &&
      rounds.every((r) => r.status === "verified"),
    spec: checks,
    rounds,
    tolerance,
    maxDeviation: Math.max(0, ...all.map((c) => c.deviation ?? 0)),
    counts,
  };
}

interface RoundContext extends RecomputeOptions {
  evaluator: ModelEvaluator;
  spec: RunSpecDocument;
  validation: Validation;
  chainRounds: readonly ChainRound[];
  starts: ReadonlyMap<number, Hex>;
  tolerance: number;
}

/**
 * The model a round started from: the coordinator's reference, which must be a model this run
 * published before (its start model, or an earlier round's: the previous one, or the best after a
 * rollback). Without a reference: the previous recorded round's model.
 */
function startOf(ctx: RoundContext, round: number): { hash: Hex | undefined; detail: string } {
  const earlier = ctx.chainRounds.filter((r) => r.round < round);
  const allowed = new Set([
    lower(ctx.spec.initialModel.hash),
    ...earlier.map((r) => lower(r.modelHash)),
  ]);
  const claimed = ctx.starts.get(round);
  const previous = earlier.at(-1)?.modelHash ?? ctx.spec.initialModel.hash;
  if (!claimed) return { hash: previous, detail: "start: the previous round's model" };
  if (!allowed.has(lower(claimed)))
    return {
      hash: undefined,
      detail: `start model ${claimed} is not a model this run published before round ${round}`,
    };
  const from =
    claimed === previous ? "the previous round's model" : "an earlier version (rollback)";
  return { hash: claimed, detail: `start: ${from}` };
}

async function recomputeRound(ctx: RoundContext, r: ChainRound): Promise<RoundRecompute> {
  const t0 = Date.now();
  const items = ctx.snapshot.contributions
    .filter((c) => lower(c.chainRunId) === lower(ctx.chainRunId) && c.round === r.round)
    .sort((a, b) => a.logIndex - b.logIndex);
  const recorded = (c: ChainContribution) => ({
    lossBefore: fixedToLoss(c.lossBefore),
    lossAfter: fixedToLoss(c.lossAfter),
    reward: c.reward,
  });
  const base = { round: r.round, modelHash: r.modelHash, bytes: 0 };
  const start = startOf(ctx, r.round);
  const fail = (detail: string, status: ContributionStatus = "not-recomputed"): RoundRecompute => ({
    ...base,
    startHash: start.hash,
    status: status === "not-recomputed" ? "incomplete" : "mismatch",
    detail,
    contributions: items.map((c) => ({
      node: c.node,
      updateHash: c.updateHash,
      recorded: recorded(c),
      status,
      detail,
    })),
    ms: Date.now() - t0,
  });
  if (!start.hash) return fail(start.detail, "mismatch");
  const startModel = await fetchVerified(ctx, start.hash);
  const model = await fetchVerified(ctx, r.modelHash);
  if (!startModel.ok) return fail(`start model: ${startModel.detail}`);
  if (!model.ok) return fail(`round model: ${model.detail}`);
  const secure = ctx.spec.aggregation === "secure";
  const updates: Fetched[] = [];
  for (const c of items) updates.push(secure ? model : await fetchVerified(ctx, c.updateHash));
  const bytes =
    startModel.bytes.byteLength +
    model.bytes.byteLength +
    (secure ? 0 : updates.reduce((s, u) => s + (u.ok ? u.bytes.byteLength : 0), 0));
  if (updates.some((u) => !u.ok)) {
    const contributions = unavailable(items, updates, recorded);
    const detail = "some updates could not be verified; the round's scores were not recomputed";
    return {
      ...base,
      bytes,
      startHash: start.hash,
      status: "mismatch",
      detail,
      contributions,
      ms: Date.now() - t0,
    };
  }
  const weights = (f: Fetched) => (f.ok ? f.weights() : new Float32Array());
  const decoded = updateWeights(ctx.spec, weights(startModel), updates, weights);
  if (typeof decoded === "string") {
    const detail = `an update's payload does not decode: ${decoded}`;
    return { ...fail(detail, "mismatch"), bytes };
  }
  const scores = await scoreContributions({
    reward: ctx.spec.reward,
    start: weights(startModel),
    updates: items.map((c, i) => ({
      nodeId: c.node,
      weights: decoded[i]!,
      numSamples: Number(c.samples),
    })),
    aggregate: weights(model),
    evaluate: (models) => ctx.evaluator.losses(models),
    seed: (ctx.spec.seed + r.round) >>> 0,
  });
  const policy = ctx.snapshot.runs.find((x) => lower(x.chainRunId) === lower(ctx.chainRunId))
    ?.policy as RewardPolicy;
  const carried = carriedInto(ctx, policy, r.round);
  const contributions = compareRound(ctx.tolerance, items, scores, { policy, carried }, recorded);
  const bad = contributions.filter((c) => c.status !== "verified").length;
  return {
    ...base,
    bytes,
    startHash: start.hash,
    status: bad === 0 ? "verified" : "mismatch",
    detail: `${start.detail}; ${contributions.length - bad}/${contributions.length} contributions verified`,
    contributions,
    ms: Date.now() - t0,
  };
}

function compareRound(
  tolerance: number,
  items: readonly ChainContribution[],
  scores: readonly { lossBefore: number; lossAfter: number }[],
  pool: { policy: RewardPolicy; carried: bigint },
  recorded: (c: ChainContribution) => ContributionRecompute["recorded"],
): ContributionRecompute[] {
  const fixed = scores.map((s, i) => ({
    samples: Number(items[i]!.samples),
    lossBefore: lossToFixed(Math.max(0, s.lossBefore)),
    lossAfter: lossToFixed(Math.max(0, s.lossAfter)),
  }));
  const { rewards } = splitRewards(pool.policy, fixed, pool.carried);
  return items.map((c, i) => {
    const rec = recorded(c);
    const again = {
      lossBefore: fixedToLoss(fixed[i]!.lossBefore),
      lossAfter: fixedToLoss(fixed[i]!.lossAfter),
      reward: rewards[i]!,
    };
    const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1, Math.abs(a));
    const deviation = Math.max(
      rel(rec.lossBefore, again.lossBefore),
      rel(rec.lossAfter, again.lossAfter),
    );
    const ok = deviation <= tolerance;
    const detail = ok
      ? `losses within ${deviation.toExponential(1)} of the recomputed ones`
      : `recorded lossBefore ${rec.lossBefore} lossAfter ${rec.lossAfter}, recomputed ${again.lossBefore} and ${again.lossAfter} (deviation ${deviation.toExponential(2)} > ${tolerance})`;
    return {
      node: c.node,
      updateHash: c.updateHash,
      recorded: rec,
      recomputed: again,
      deviation,
      status: ok ? "verified" : "mismatch",
      detail,
    };
  });
}

/**
 * The weights each update stands for: its float32 bytes, or (a compressing run) its payload
 * decoded onto the round's start model under the run's settings, exactly as the coordinator
 * decoded it. A string: why one does not decode (the coordinator should never have accepted it).
 */
function updateWeights(
  spec: RunSpecDocument,
  start: Float32Array,
  updates: readonly Fetched[],
  weights: (f: Fetched) => Float32Array,
): Float32Array[] | string {
  const compression = spec.compression;
  if (!usesCompression(compression ?? undefined) || spec.aggregation === "secure")
    return updates.map(weights);
  const tensors = tensorSizes(spec.model.ref ?? (spec.model.kind as ModelKind));
  const out: Float32Array[] = [];
  for (const u of updates) {
    try {
      out.push(
        decodeUpload(u.ok ? u.bytes : new Uint8Array(), compression!.upload, start, tensors),
      );
    } catch (err) {
      if (err instanceof PayloadError) return err.message;
      throw err;
    }
  }
  return out;
}

/** A round with unverifiable updates: those are reported, the others are not recomputed. */
function unavailable(
  items: readonly ChainContribution[],
  updates: readonly Fetched[],
  recorded: (c: ChainContribution) => ContributionRecompute["recorded"],
): ContributionRecompute[] {
  return items.map((c, i) => {
    const u = updates[i]!;
    const common = { node: c.node, updateHash: c.updateHash, recorded: recorded(c) };
    return u.ok
      ? {
          ...common,
          status: "not-recomputed",
          detail: "another update of the round is unavailable",
        }
      : { ...common, status: u.status, detail: u.detail };
  });
}

/**
 * What the run's earlier recorded rounds carried into `round` (the zero-score rule), from the
 * chain's numbers: the plain audit checks those splits, this audit re-executes the losses.
 */
function carriedInto(ctx: RoundContext, policy: RewardPolicy, round: number): bigint {
  let carry = 0n;
  for (const r of ctx.chainRounds) {
    if (r.round >= round) break;
    const items = ctx.snapshot.contributions
      .filter((c) => lower(c.chainRunId) === lower(ctx.chainRunId) && c.round === r.round)
      .sort((a, b) => a.logIndex - b.logIndex)
      .map((c) => ({
        samples: Number(c.samples),
        lossBefore: c.lossBefore,
        lossAfter: c.lossAfter,
      }));
    carry = splitRewards(policy, items, carry).carry;
  }
  return carry;
}

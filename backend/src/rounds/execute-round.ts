// One federated round as a pipeline of named steps, each in its own module:
//
//   choose participants -> admit -> collect (deadline) -> validate -> screen (anomalies)
//     -> aggregate -> evaluate -> score
//     -> record (one transaction: round, contributions, checkpoint, outbox) -> publish
//
// The aggregation (plain, secure, with DP or not) was chosen once for the run; nothing here
// branches on it.
import type { AggregationRound, FitOutcome } from "../aggregation/aggregator.js";
import { downloadBytes, roundDownload } from "../compression/run-compression.js";
import type { Participant } from "../nodes/participant.js";
import { rawBytes } from "../compression/update-compression.js";
import type { RoundRecord, RoundTraffic, UpdateOutcome } from "../domain/index.js";
import { hashWeightsOffThread } from "../nodes/update-signing.js";
import { nodesRepo } from "../store/repos/nodes-repo.js";
import { admitParticipants } from "./admit-participants.js";
import { collectUpdates, nodeFitter } from "./collect-updates.js";
import { evaluateRound } from "./evaluate-model.js";
import { publishRoundAggregated, publishRoundStarted } from "./publish-round.js";
import { recordRound } from "./record-round.js";
import type { RoundDeps, RunState } from "./run-state.js";
import { scoreRound } from "./score-contributions.js";
import { screenUpdates } from "./screen-updates.js";
import { validateUpdates } from "./validate-updates.js";

export type { RoundDeps, RunState } from "./run-state.js";

/**
 * Runs round `round` of a run to its record. Undefined when the run was paused or stopped while
 * waiting for participants. The chain write is queued in the outbox, not sent.
 */
export async function executeRound(
  run: RunState,
  round: number,
  deps: RoundDeps,
): Promise<RoundRecord | undefined> {
  const chosen = await run.chooseParticipants(round);
  if (!chosen) return undefined;
  const ids = chosen.map((n) => n.id);
  const { admitted, refused } = await admitParticipants(run, round, chosen, deps.events);
  const started = Date.now();
  const deadline = started + run.config.roundTimeoutMs;
  const start = run.global;
  await nodesRepo.setStatusMany(deps.db, ids, "training");
  const aggregation = run.aggregator.openRound({
    round,
    chainRunId: run.chainRunId,
    start,
    participants: admitted,
    deadline,
    equalWeights: false,
    log: (level, message) => deps.events.publish({ type: "log", runId: run.runId, level, message }),
  });
  try {
    await publishRoundStarted(deps.db, deps.events, run.runId, round, ids);

    const collected = await collectRound(run, round, deps, { aggregation, admitted, deadline });
    const { outcomes, accepted } = await validateUpdates(
      run,
      round,
      collected.fits,
      deps.events,
      start,
    );
    const screened = await screenUpdates(run, round, start, accepted, deps.events);

    const aggregated = await aggregation.aggregate(screened.kept.map((a) => a.submission));
    const kept = keepIncluded(screened.kept, aggregated.excluded);
    const next = aggregated.model;

    const evaluation = await evaluateRound(deps.engine, run.model, start, next);
    const scored = await scoreRound(run, round, deps.engine, start, kept, aggregated);

    const modelHash = await hashWeightsOffThread(next);
    const finished = Date.now();
    const record = {
      runId: run.runId,
      round,
      status: "aggregated" as const,
      startedAt: started,
      finishedAt: finished,
      durationMs: finished - started,
      ...evaluation,
      participants: ids,
      updates: [...outcomes, ...refused],
      modelHash,
      txHash: null,
      aggregation: run.aggregator.mode,
      privacy: aggregated.privacy ?? null,
      traffic: collected.traffic(outcomes, aggregated.uploadBytes),
    } satisfies RoundRecord;
    const updates = keptUpdates(run, kept);
    await recordRound(
      deps,
      run,
      record,
      scored,
      next,
      updates,
      run.globalHash ?? (await hashWeightsOffThread(start)),
    );
    run.global = next;
    run.globalHash = record.modelHash;
    run.carriedPoolWei = scored.carryWei;
    if (screened.history) run.anomalyHistory = screened.history;

    await publishRoundAggregated(deps.events, record);
    return record;
  } finally {
    aggregation.close();
    run.closeRound?.(round);
    await nodesRepo.setStatusMany(deps.db, ids, "idle").catch(() => undefined);
  }
}

/**
 * Collect step with what each node is handed: a compressing run encodes the round's download once,
 * for every node. Returns the fits, and how to total the round's traffic once it is validated.
 */
async function collectRound(
  run: RunState,
  round: number,
  deps: RoundDeps,
  {
    aggregation,
    admitted,
    deadline,
  }: {
    aggregation: AggregationRound;
    admitted: readonly Participant[];
    deadline: number;
  },
): Promise<{
  fits: FitOutcome[];
  traffic: (outcomes: UpdateOutcome[], masked?: ReadonlyMap<string, number>) => RoundTraffic;
}> {
  const compression = run.compression ? roundDownload(run.compression, run.global) : undefined;
  const extras = (n: Participant, k: number) => aggregation.taskExtras(n, k);
  const fit = nodeFitter(run, round, deps, extras, deadline, compression);
  const fits = aggregation.collect
    ? await aggregation.collect(fit)
    : await collectUpdates(admitted, fit, deadline, run.config.roundTimeoutMs);
  const perDownload = downloadBytes(compression, run.parameterCount);
  return {
    fits,
    traffic: (outcomes, masked) =>
      traffic(outcomes, masked, admitted.length, perDownload, run.parameterCount),
  };
}

type Accepted = Awaited<ReturnType<typeof validateUpdates>>["accepted"];

/** Marks the updates the aggregator excluded (robust rules) as rejected; returns the rest. */
function keepIncluded(accepted: Accepted, excluded: ReadonlyMap<string, string>): Accepted {
  for (const { outcome } of accepted) {
    const reason = excluded.get(outcome.nodeId);
    if (reason !== undefined) {
      outcome.accepted = false;
      outcome.reason = reason;
      outcome.filteredOut = true;
    }
  }
  return accepted.filter((a) => a.outcome.accepted);
}

/**
 * The updates kept as artifacts, as the nodes sent and signed them (a compressing run's payloads).
 * Under secure aggregation nobody holds one: none are kept.
 */
function keptUpdates(run: RunState, kept: Accepted) {
  if (!run.aggregator.seesUpdates) return [];
  return kept.map(({ submission: s }) => ({
    nodeId: s.nodeId,
    bytes:
      s.payload ?? new Uint8Array(s.weights.buffer, s.weights.byteOffset, s.weights.byteLength),
    hash: s.signed.updateHash,
  }));
}

/**
 * What the round moved: the uploads as received (simulated SecAgg: the masked inputs' bytes, set
 * on their outcomes here), the downloads as served, and raw float32.
 */
function traffic(
  outcomes: UpdateOutcome[],
  maskedBytes: ReadonlyMap<string, number> | undefined,
  nodes: number,
  perDownload: number,
  parameterCount: number,
): RoundTraffic {
  for (const o of outcomes) {
    const bytes = maskedBytes?.get(o.nodeId);
    if (bytes !== undefined && o.resources) o.resources = { ...o.resources, uploadBytes: bytes };
  }
  const received = outcomes.filter((o) => o.resources);
  return {
    uploadBytes: received.reduce((s, o) => s + o.resources!.uploadBytes, 0),
    uploads: received.length,
    downloadBytes: perDownload * nodes,
    downloads: nodes,
    rawModelBytes: rawBytes(parameterCount),
  };
}

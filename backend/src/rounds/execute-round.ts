// One federated round as a pipeline of named steps, each in its own module:
//
//   choose participants -> admit -> collect (deadline) -> validate -> screen (anomalies)
//     -> aggregate -> evaluate -> score
//     -> record (one transaction: round, contributions, checkpoint, outbox) -> publish
//
// The aggregation (plain, secure, with DP or not) was chosen once for the run; nothing here
// branches on it.
import type { RoundRecord } from "../domain/index.js";
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

    const fit = nodeFitter(run, round, deps, (n, k) => aggregation.taskExtras(n, k), deadline);
    const fits = aggregation.collect
      ? await aggregation.collect(fit)
      : await collectUpdates(admitted, fit, deadline, run.config.roundTimeoutMs);

    const { outcomes, accepted } = await validateUpdates(run, round, fits, deps.events);
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

/** The updates kept as artifacts. Under secure aggregation nobody holds one: none are kept. */
function keptUpdates(run: RunState, kept: Accepted) {
  if (!run.aggregator.seesUpdates) return [];
  return kept.map(({ submission: s }) => ({
    nodeId: s.nodeId,
    weights: s.weights,
    hash: s.signed.updateHash,
  }));
}

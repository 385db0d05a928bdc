import type { FitOutcome } from "../aggregation/aggregator.js";
import { paramSpecs } from "../engine/models/model-ref.js";
import type { UpdateOutcome } from "../domain/index.js";
import type { RunEvents } from "../events/run-events.js";
import type { NodeSubmission } from "../nodes/participant.js";
import {
  validateCommitment,
  validateCompressedUpdate,
  validateUpdate,
  type Verdict,
} from "../nodes/update-validation.js";
import type { RunState } from "./run-state.js";

export interface AcceptedUpdate {
  submission: NodeSubmission;
  /** Its row in the round record; later steps fill in exclusion, losses and reward. */
  outcome: UpdateOutcome;
}

export interface ValidatedRound {
  /** One per participant, accepted or with the reason it was not. */
  outcomes: UpdateOutcome[];
  accepted: AcceptedUpdate[];
}

/**
 * Validate step: checks every submission before anything is aggregated: run and round, signature
 * by the node's wallet, sample count, and (when the coordinator sees updates) shape, finiteness
 * and hash. With secure aggregation the coordinator checks only what the node signed.
 */
export async function validateUpdates(
  run: RunState,
  round: number,
  fits: readonly FitOutcome[],
  events: RunEvents,
  /** The round's start model (a compressed upload is a delta from it). */
  start: Float32Array,
): Promise<ValidatedRound> {
  const outcomes: UpdateOutcome[] = [];
  const accepted: AcceptedUpdate[] = [];
  const expect = { runId: run.chainRunId, round, domain: run.domain };
  for (const { node, submission: s, error } of fits) {
    const base: UpdateOutcome = {
      nodeId: node.id,
      wallet: node.wallet,
      accepted: false,
      samples: s?.signed.samples ?? 0,
      reportedTrainLoss: s?.reportedTrainLoss ?? null,
      updateHash: s?.signed.updateHash ?? "0x",
      // What producing it cost (training time, bytes, the agent's CPU, memory and latency).
      ...(s?.resources ? { resources: s.resources } : {}),
    };
    if (!s) {
      outcomes.push({ ...base, reason: error ?? "no update" });
      continue;
    }
    const verdict =
      overClaim(s.signed.samples, node.samples) ??
      (await check(run, s, node.wallet, expect, start));
    const outcome: UpdateOutcome = verdict.accepted
      ? { ...base, accepted: true }
      : { ...base, reason: verdict.reason };
    outcomes.push(outcome);
    if (verdict.accepted) accepted.push({ submission: s, outcome });
    await events.publish({
      type: "node-finished",
      runId: run.runId,
      round,
      nodeId: node.id,
      accepted: verdict.accepted,
      ...(verdict.accepted ? {} : { reason: verdict.reason }),
    });
  }
  return { outcomes, accepted };
}

type Expect = { runId: `0x${string}`; round: number; domain: RunState["domain"] };

/** The checks for how this run's updates travel: plain, compressed, or masked (commitment). */
async function check(
  run: RunState,
  s: NodeSubmission,
  wallet: `0x${string}`,
  expect: Expect,
  start: Float32Array,
): Promise<Verdict> {
  const base = { nodeId: s.nodeId, wallet, signed: s.signed };
  if (!run.aggregator.seesUpdates) return validateCommitment(base, expect);
  if (run.compression) {
    if (!s.payload) return { accepted: false, reason: "no compressed payload" };
    const v = await validateCompressedUpdate(
      { ...base, payload: s.payload },
      { ...expect, upload: run.compression.spec.upload, start, tensors: run.compression.tensors },
    );
    // From here on the round works on the weights the payload stands for.
    if (v.weights) s.weights = v.weights;
    return v.accepted ? { accepted: true } : v;
  }
  return validateUpdate(
    { ...base, weights: s.weights },
    { ...expect, parameterCount: run.parameterCount, layers: paramSpecs(run.model) },
  );
}

/**
 * A node's weight and reward use its signed sample count, which may not exceed what it announced
 * (with its label histogram) before the round started: an over-claim is rejected, not capped.
 */
function overClaim(signed: number, announced: number | undefined): Verdict | undefined {
  if (announced === undefined || signed <= announced) return undefined;
  return {
    accepted: false,
    reason: `claims ${signed} samples, more than the ${announced} it announced before the round`,
  };
}

// A secure round with remote node agents: each agent trains, then runs SecAgg with the
// coordinator over its signed agent calls (see nodes/remote-secagg-session.ts), so the
// coordinator only ever holds masked inputs and, at the end, their sum.
import {
  secureInputWeight,
  secureSessionId,
  type AgentSecureTask,
} from "../nodes/agent-protocol.js";
import type { Participant } from "../nodes/participant.js";
import type { RemoteTaskContext } from "../nodes/remote-node-hub.js";
import { RemoteSecAggSession } from "../nodes/remote-secagg-session.js";
import type { NodeSubmission } from "../nodes/simulated-node.js";
import { SecAggError, type SecAggResult } from "../secagg/index.js";
import type { RoundDeps, RunState } from "./round-executor.js";
import { secureSessionConfig } from "./secure-round.js";

/** How long each SecAgg stage after AdvertiseKeys waits for slow or dropped agents, by default. */
export const DEFAULT_SECAGG_STAGE_TIMEOUT_MS = 30_000;

export interface FitOutcome {
  node: Participant;
  submission: NodeSubmission | undefined;
  error: string | undefined;
}

export interface RemoteSecureOutcome {
  /** Per participant: its accepted masked input's signed commitment, or why there is none. */
  outcomes: FitOutcome[];
  /** The unmasked sum of the survivors' weighted deltas; undefined when the session failed. */
  result?: SecAggResult;
  failure?: string;
  /** The weight a node with this many (signed) samples applied to its delta. */
  weightOf: (samples: number) => number;
}

/**
 * Hands every participant a secure task and drives the round's SecAgg session: AdvertiseKeys
 * waits for training up to the round deadline, every later stage up to the run's stage timeout.
 * Weights: with privacy every node masks its clipped, noised delta as is (equal weights,
 * DP-FedAvg); otherwise it masks (samples / N) x delta, N being the largest sample count the
 * round's agents announced (public), and the coordinator divides the sum by the survivors'
 * signed samples / N: FedAvg's sample-weighted mean, without the coordinator seeing any delta.
 */
export async function remoteSecureFits(
  state: RunState,
  round: number,
  deps: RoundDeps,
  chosen: Participant[],
  deadline: number,
  equalWeights: boolean,
  fitNode: (
    node: Participant,
    k: number,
    secure: NonNullable<RemoteTaskContext["secure"]>,
  ) => Promise<NodeSubmission>,
): Promise<RemoteSecureOutcome> {
  const spec = state.config.aggregation;
  if (spec.mode !== "secure") throw new Error("not a secure run");
  const config = secureSessionConfig(
    secureSessionId(state.chainRunId, round),
    chosen.length,
    state.parameterCount,
    spec,
  );
  const normaliser = Math.max(1, ...chosen.map((n) => n.samples ?? 0));
  const weighting: AgentSecureTask["weighting"] = equalWeights
    ? { kind: "equal" }
    : { kind: "samples", normaliser };
  const session = new RemoteSecAggSession({
    config,
    participants: chosen.map((n) => ({ id: n.id, wallet: n.wallet })),
    expect: { runId: state.chainRunId, round, domain: state.domain },
    onMessage: (nodeId, kind) =>
      deps.events.publish({
        type: "log",
        runId: state.runId,
        level: "info",
        message: `round ${round}: secure aggregation: ${nodeId} sent ${kind}`,
      }),
  });
  const errors = new Map<string, string>();
  chosen.forEach((node, k) => {
    fitNode(node, k, { task: { config, weighting }, session }).then(
      () => undefined,
      (err: unknown) => errors.set(node.id, `training failed: ${(err as Error).message}`),
    );
  });
  let result: SecAggResult | undefined;
  let failure: string | undefined;
  try {
    result = await session.drive(deadline, spec.stageTimeoutMs ?? DEFAULT_SECAGG_STAGE_TIMEOUT_MS);
  } catch (err) {
    if (!(err instanceof SecAggError)) throw err;
    failure = err.message;
    await deps.events.publish({
      type: "log",
      runId: state.runId,
      level: "warn",
      message: `round ${round}: secure aggregation failed, the model stays as it was: ${failure}`,
    });
  } finally {
    session.fail("the round's secure aggregation is over");
  }
  const outcomes = chosen.map((node): FitOutcome => {
    const submission = session.submissions.get(node.id);
    if (submission) return { node, submission, error: undefined };
    return {
      node,
      submission: undefined,
      error:
        session.refused.get(node.id) ??
        errors.get(node.id) ??
        (session.advertisedBy(node.id)
          ? "dropped out of secure aggregation before sending its masked input"
          : `no keys advertised within the round timeout (${state.config.roundTimeoutMs} ms)`),
    };
  });
  return {
    outcomes,
    ...(result ? { result } : {}),
    ...(failure !== undefined ? { failure } : {}),
    weightOf: (samples) => secureInputWeight(weighting, samples),
  };
}

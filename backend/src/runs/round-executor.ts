import type { Hex } from "viem";
import type { ContributionRecord, RoundRecord, RunConfig, UpdateOutcome } from "../api/schemas.js";
import { validateCommitment, validateUpdate } from "../fl/update-validation.js";
import type { ClientUpdate, Strategy } from "../fl/strategies/strategy.js";
import type { NodeSubmission } from "../nodes/simulated-node.js";
import type { Participant } from "../nodes/participant.js";
import type { RemoteTaskContext } from "../nodes/remote-node-hub.js";
import { secureSessionId } from "../nodes/agent-protocol.js";
import { hashWeights, type UpdateDomain } from "../nodes/update-signing.js";
import { scoreContributions } from "../rewards/contribution-scorer.js";
import { lossToFixed } from "../rewards/fixed-point.js";
import { splitRewards, type RewardPolicy } from "../rewards/reward-policy.js";
import { checkpointsRepo } from "../store/repos/checkpoints-repo.js";
import { contributionsRepo } from "../store/repos/contributions-repo.js";
import { nodesRepo } from "../store/repos/nodes-repo.js";
import { outboxRepo } from "../store/repos/outbox-repo.js";
import { roundsRepo } from "../store/repos/rounds-repo.js";
import { runsRepo } from "../store/repos/runs-repo.js";
import type { SqlDatabase } from "../store/sql-database.js";
import type { TrainingEngine } from "./engine-port.js";
import type { RunEvents } from "./run-events.js";
import type { RunPrivacy } from "./run-privacy.js";
import {
  remoteSecureFits,
  type FitOutcome,
  type RemoteSecureOutcome,
} from "./remote-secure-round.js";
import { meanFromSum, secureMean, type SecureMean } from "./secure-round.js";

export interface RunState {
  runId: string;
  chainRunId: Hex;
  config: RunConfig;
  /** This round's participants: a seeded sample of the run's nodes (may wait for remote ones). */
  chooseParticipants(round: number): Promise<Participant[] | undefined>;
  /** Called when a round is over, whatever happened (drops remote stragglers' tasks). */
  closeRound?(round: number): void;
  /** Run-level facts remote nodes need with their task. */
  remote?: Omit<RemoteTaskContext, "deadline">;
  strategy: Strategy;
  policy: RewardPolicy;
  domain: UpdateDomain;
  parameterCount: number;
  /** The current global model; replaced after every round. */
  global: Float32Array;
  /** DP-FedAvg accounting and clip norm, when the run has privacy. */
  privacy?: RunPrivacy;
  /** Nodes the run samples from (the sampling rate's denominator). */
  nodeCount: number;
}

export interface RoundDeps {
  db: SqlDatabase;
  engine: TrainingEngine;
  events: RunEvents;
}

/** The payload of a record-round outbox item: exactly what goes on chain. */
export interface RecordRoundPayload {
  chainRunId: Hex;
  round: number;
  modelHash: Hex;
  contributions: {
    node: `0x${string}`;
    samples: number;
    lossBefore: string;
    lossAfter: string;
    updateHash: Hex;
    reward: string;
  }[];
}

const TIMEOUT = Symbol("timeout");

type RemoteSecureContext = NonNullable<RemoteTaskContext["secure"]>;

/**
 * One federated round: sample nodes, train them, verify their signed updates, aggregate, evaluate,
 * score every accepted update on the coordinator's validation split, split the reward pool, and
 * persist the round, its checkpoint and its chain record in one transaction. The chain write
 * itself happens later, from the outbox, so training never waits for the chain.
 */
export async function executeRound(
  state: RunState,
  round: number,
  deps: RoundDeps,
): Promise<RoundRecord | undefined> {
  const chosen = await state.chooseParticipants(round);
  if (!chosen) return undefined;
  const ids = chosen.map((n) => n.id);
  await nodesRepo.setStatusMany(deps.db, ids, "training");
  try {
    return await runRound(state, round, deps, chosen, Date.now());
  } finally {
    state.closeRound?.(round);
    await nodesRepo.setStatusMany(deps.db, ids, "idle").catch(() => undefined);
  }
}

async function runRound(
  state: RunState,
  round: number,
  deps: RoundDeps,
  chosen: Participant[],
  started: number,
): Promise<RoundRecord> {
  const { config } = state;
  const participants = chosen.map((n) => n.id);
  await roundsRepo.start(deps.db, state.runId, round, participants);
  await deps.events.publish({ type: "round-started", runId: state.runId, round, participants });

  const start = state.global;
  const fit = state.strategy.configureFit();
  const secure = config.aggregation.mode === "secure";
  const privacy = state.privacy?.roundParams();
  const deadline = started + config.roundTimeoutMs;
  const fitNode = (node: Participant, k: number, secureCtx?: RemoteSecureContext) => {
    let lastProgress = 0;
    return node.fit(
      deps.engine,
      {
        model: config.model,
        weights: start,
        epochs: config.localEpochs,
        batchSize: config.batchSize,
        learningRate: config.learningRate,
        seed: (config.seed * 7_919 + round * 104_729 + k) >>> 0,
        ...(fit.proxMu ? { proxMu: fit.proxMu } : {}),
        onProgress: (p) => {
          const now = Date.now();
          if (now - lastProgress < 250 && p.batch < p.batches) return;
          lastProgress = now;
          void deps.events.publish({
            type: "node-progress",
            runId: state.runId,
            round,
            nodeId: node.id,
            ...p,
          });
        },
      },
      {
        runId: state.chainRunId,
        round,
        domain: state.domain,
        ...(privacy
          ? {
              privacy: {
                ...privacy,
                noiseSeed: (config.seed * 48_271 + round * 7_919 + k * 104_729) >>> 0,
              },
            }
          : {}),
        ...(state.remote
          ? {
              remote: {
                ...state.remote,
                deadline,
                ...(secureCtx ? { secure: secureCtx } : {}),
              },
            }
          : {}),
      },
    );
  };

  let outcomes: FitOutcome[];
  let remoteSecure: RemoteSecureOutcome | undefined;
  if (secure && state.remote) {
    remoteSecure = await remoteSecureFits(state, round, deps, chosen, deadline, !!privacy, fitNode);
    outcomes = remoteSecure.outcomes;
  } else {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<typeof TIMEOUT>((resolve) => {
      timer = setTimeout(() => resolve(TIMEOUT), Math.max(0, deadline - Date.now()));
    });
    outcomes = await Promise.all(
      chosen.map(async (node, k): Promise<FitOutcome> => {
        const work = fitNode(node, k).then(
          (s) => ({ node, submission: s as NodeSubmission | undefined, error: undefined }),
          (err: unknown) => ({
            node,
            submission: undefined,
            error: `training failed: ${(err as Error).message}`,
          }),
        );
        const r = await Promise.race([work, timeout]);
        if (r === TIMEOUT)
          return {
            node,
            submission: undefined,
            error: `no update within the round timeout (${config.roundTimeoutMs} ms)`,
          };
        return r;
      }),
    );
    clearTimeout(timer);
  }

  const updates: UpdateOutcome[] = [];
  const accepted: { s: NodeSubmission; outcome: UpdateOutcome }[] = [];
  for (const o of outcomes) {
    const s = o.submission;
    const base: UpdateOutcome = {
      nodeId: o.node.id,
      wallet: o.node.wallet,
      accepted: false,
      samples: s?.signed.samples ?? 0,
      reportedTrainLoss: s?.reportedTrainLoss ?? Number.NaN,
      updateHash: s?.signed.updateHash ?? "0x",
    };
    if (!s) {
      updates.push({ ...base, reason: o.error ?? "no update" });
      continue;
    }
    // With secure aggregation the coordinator never looks at an update: it checks what the
    // node signed, and the masking protocol gets the update.
    const verdict = secure
      ? await validateCommitment(
          { nodeId: s.nodeId, wallet: o.node.wallet, signed: s.signed },
          { runId: state.chainRunId, round, domain: state.domain },
        )
      : await validateUpdate(
          { nodeId: s.nodeId, wallet: o.node.wallet, weights: s.weights, signed: s.signed },
          {
            runId: state.chainRunId,
            round,
            parameterCount: state.parameterCount,
            domain: state.domain,
          },
        );
    const outcome: UpdateOutcome = verdict.accepted
      ? { ...base, accepted: true }
      : { ...base, reason: verdict.reason };
    updates.push(outcome);
    if (verdict.accepted) accepted.push({ s, outcome });
    await deps.events.publish({
      type: "node-finished",
      runId: state.runId,
      round,
      nodeId: o.node.id,
      accepted: verdict.accepted,
      ...(verdict.accepted ? {} : { reason: verdict.reason }),
    });
  }

  // Aggregate what passed validation; a robust strategy may leave more out. With privacy the
  // clipped, noised deltas are averaged with equal weights (DP-FedAvg), otherwise by samples.
  const maxSamples = Math.max(1, ...accepted.map(({ s }) => s.signed.samples));
  const clientUpdates: ClientUpdate[] = accepted.map(({ s }) => ({
    nodeId: s.nodeId,
    weights: s.weights,
    numSamples: privacy ? 1 : s.signed.samples,
  }));
  let next = start;
  let kept = accepted;
  if (clientUpdates.length > 0 && secure) {
    const spec = config.aggregation.mode === "secure" ? config.aggregation : undefined;
    let mean: SecureMean | undefined;
    if (remoteSecure) {
      // Remote agents masked weight x delta themselves; divide the sum by the survivors' weights,
      // taken from the sample counts they signed.
      const result = remoteSecure.result;
      if (result) {
        const byId = new Map(accepted.map(({ s }) => [s.nodeId, s]));
        const total = result.survivors.reduce(
          (sum, id) => sum + remoteSecure!.weightOf(byId.get(id)!.signed.samples),
          0,
        );
        mean = {
          weights: meanFromSum(start, result.sum, total),
          survivors: result.survivors,
          dropped: result.dropped,
        };
      }
    } else {
      mean = secureMean(
        secureSessionId(state.chainRunId, round),
        start,
        accepted.map(({ s }) => ({
          nodeId: s.nodeId,
          weights: s.weights,
          weight: privacy ? 1 : s.signed.samples / maxSamples,
        })),
        { clipRange: spec!.clipRange, neighbours: spec!.neighbours },
      );
    }
    // The server optimizer (FedAvgM, FedAdam, ...) steps on the securely averaged model.
    if (mean) {
      next = state.strategy.aggregate(start, [
        { nodeId: "secure-aggregate", weights: mean.weights, numSamples: 1 },
      ]).weights;
    }
    const survivors = new Set(mean?.survivors ?? []);
    for (const { outcome } of accepted) {
      if (!survivors.has(outcome.nodeId)) {
        outcome.accepted = false;
        outcome.reason = mean
          ? "dropped out of secure aggregation before its masked input was summed"
          : `secure aggregation failed: ${remoteSecure?.failure ?? "no result"}`;
      }
    }
    kept = accepted.filter(({ outcome }) => outcome.accepted);
  } else if (clientUpdates.length > 0) {
    const agg = state.strategy.aggregate(start, clientUpdates);
    next = agg.weights;
    const excluded = new Map(agg.excluded.map((e) => [e.nodeId, e.reason]));
    for (const { outcome } of accepted) {
      const reason = excluded.get(outcome.nodeId);
      if (reason) {
        outcome.accepted = false;
        outcome.reason = reason;
      }
    }
    kept = accepted.filter(({ outcome }) => outcome.accepted);
  }

  // Score on the coordinator's validation split: never on what nodes report.
  const scores = await scoreContributions({
    policy: state.policy.name,
    start,
    // Secure aggregation: no update is looked at; aggregate-loss scores only the aggregate.
    updates: kept.map(({ s }) => ({
      nodeId: s.nodeId,
      weights: secure ? next : s.weights,
      numSamples: s.signed.samples,
    })),
    aggregate: next,
    evaluate: async (models) =>
      (await deps.engine.evaluateMany(config.model, models, "validation")).map((e) => e.loss),
    permutations: state.policy.permutations,
    seed: (config.seed + round) >>> 0,
  });
  const fixed = scores.map((sc, i) => ({
    samples: kept[i]!.s.signed.samples,
    lossBefore: lossToFixed(Math.max(0, sc.lossBefore)),
    lossAfter: lossToFixed(Math.max(0, sc.lossAfter)),
  }));
  const rewards = splitRewards(state.policy, fixed);
  const contributions: ContributionRecord[] = kept.map(({ s, outcome }, i) => {
    outcome.lossBefore = scores[i]!.lossBefore;
    outcome.lossAfter = scores[i]!.lossAfter;
    outcome.score = Math.max(0, scores[i]!.lossBefore - scores[i]!.lossAfter);
    outcome.reward = rewards[i]!.toString();
    return {
      runId: state.runId,
      round,
      nodeId: s.nodeId,
      wallet: outcome.wallet,
      samples: s.signed.samples,
      lossBefore: scores[i]!.lossBefore,
      lossAfter: scores[i]!.lossAfter,
      score: outcome.score,
      rewardWei: rewards[i]!.toString(),
      updateHash: s.signed.updateHash,
      txHash: null,
    };
  });

  const [test] = await deps.engine.evaluateMany(config.model, [next], "test");
  const [valAfter] =
    kept.length > 0
      ? await deps.engine.evaluateMany(config.model, [next], "validation")
      : [undefined];
  const modelHash = hashWeights(next);
  const roundPrivacy = state.privacy?.afterRound({
    selected: chosen.length,
    nodes: state.nodeCount,
    aggregated: kept.filter(({ s }) => s.unclipped !== undefined).length,
    unclippedBits: kept.flatMap(({ s }) => (s.unclipped === undefined ? [] : [s.unclipped])),
    secure,
  });
  const finished = Date.now();
  const record: RoundRecord = {
    runId: state.runId,
    round,
    status: "aggregated",
    startedAt: started,
    finishedAt: finished,
    durationMs: finished - started,
    testLoss: test!.loss,
    testAccuracy: test!.accuracy,
    validationLossBefore: scores[0]?.lossBefore ?? null,
    validationLossAfter: valAfter?.loss ?? null,
    participants,
    updates,
    modelHash,
    txHash: null,
    aggregation: secure ? "secure" : "plain",
    privacy: roundPrivacy ?? null,
  };
  const payload: RecordRoundPayload = {
    chainRunId: state.chainRunId,
    round,
    modelHash,
    contributions: contributions.map((c, i) => ({
      node: c.wallet as `0x${string}`,
      samples: c.samples,
      lossBefore: fixed[i]!.lossBefore.toString(),
      lossAfter: fixed[i]!.lossAfter.toString(),
      updateHash: c.updateHash as Hex,
      reward: c.rewardWei,
    })),
  };

  await deps.db.transaction(async (tx) => {
    await roundsRepo.finish(tx, record);
    await contributionsRepo.insertMany(tx, contributions);
    await checkpointsRepo.save(tx, state.runId, {
      round,
      modelHash,
      weights: next,
      optimizerState: state.strategy.saveState(),
      ...(state.privacy ? { privacyState: state.privacy.toJSON() } : {}),
    });
    if (contributions.length > 0) {
      await outboxRepo.enqueue(tx, {
        id: `record-round:${state.runId}:${round}`,
        kind: "record-round",
        runId: state.runId,
        round,
        payload,
      });
    }
    await runsRepo.setCompletedRounds(tx, state.runId, round);
  });
  state.global = next;

  await deps.events.publish({
    type: "round-aggregated",
    runId: state.runId,
    round,
    testLoss: record.testLoss!,
    testAccuracy: record.testAccuracy!,
    accepted: kept.length,
    rejected: updates.length - kept.length,
    modelHash,
    durationMs: record.durationMs!,
  });
  return record;
}

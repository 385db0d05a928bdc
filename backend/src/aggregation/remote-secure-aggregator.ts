// Secure aggregation with remote node agents: each agent trains, then runs SecAgg with the
// coordinator over its signed agent calls (see nodes/remote-secagg-session.ts), so the
// coordinator only ever holds masked inputs and, at the end, their sum.
import type { SecureAggregationSpec } from "../domain/index.js";
import type { Strategy } from "../fl/strategies/strategy.js";
import {
  secureInputWeight,
  secureSessionId,
  type AgentSecureTask,
} from "../nodes/agent-protocol.js";
import { RemoteSecAggSession } from "../nodes/remote-secagg-session.js";
import type { UpdateDomain } from "../nodes/update-signing.js";
import { fitFailure, type NodeSubmission } from "../nodes/participant.js";
import { SecAggError, type SecAggConfig, type SecAggResult } from "../secagg/index.js";
import type {
  AggregationResult,
  Aggregator,
  AggregationRound,
  FitNode,
  FitOutcome,
  RoundSetup,
} from "./aggregator.js";
import { meanFromSum, secureSessionConfig, type SecureOptions } from "./secure-mean.js";

/** How long each SecAgg stage after AdvertiseKeys waits for slow or dropped agents, by default. */
export const DEFAULT_SECAGG_STAGE_TIMEOUT_MS = 30_000;

export interface RemoteSecureOptions {
  strategy: Strategy;
  spec: SecureAggregationSpec & Pick<SecureOptions, "bits">;
  parameterCount: number;
  domain: UpdateDomain;
  /** The run's round timeout, named in the reason of a node that never advertised keys. */
  roundTimeoutMs: number;
}

/**
 * Hands every participant a secure task and drives the round's SecAgg session: AdvertiseKeys
 * waits for training up to the round deadline, every later stage up to the run's stage timeout.
 * Weights: with privacy every node masks its clipped, noised delta as is (equal weights,
 * DP-FedAvg); otherwise it masks (samples / N) x delta, N being the largest sample count the
 * round's agents announced (public), and the coordinator divides the sum by the survivors'
 * signed samples / N: FedAvg's sample-weighted mean, without the coordinator seeing any delta.
 */
export class RemoteSecureAggregator implements Aggregator {
  readonly mode = "secure";
  readonly seesUpdates = false;

  constructor(private readonly opts: RemoteSecureOptions) {}

  openRound(setup: RoundSetup): AggregationRound {
    return new RemoteSecureRound(this.opts, setup);
  }
}

/** One round's SecAgg session with the remote agents. */
class RemoteSecureRound implements AggregationRound {
  private readonly config: SecAggConfig;
  private readonly weighting: AgentSecureTask["weighting"];
  private readonly session: RemoteSecAggSession;
  private result: SecAggResult | undefined;
  private failure: string | undefined;

  constructor(
    private readonly opts: RemoteSecureOptions,
    private readonly setup: RoundSetup,
  ) {
    const participants = setup.participants;
    this.config = secureSessionConfig(
      secureSessionId(setup.chainRunId, setup.round),
      participants.length,
      opts.parameterCount,
      opts.spec,
    );
    const normaliser = Math.max(1, ...participants.map((n) => n.samples ?? 0));
    this.weighting = setup.equalWeights ? { kind: "equal" } : { kind: "samples", normaliser };
    this.session = new RemoteSecAggSession({
      config: this.config,
      participants: participants.map((n) => ({ id: n.id, wallet: n.wallet })),
      expect: { runId: setup.chainRunId, round: setup.round, domain: opts.domain },
      onMessage: (nodeId, kind) =>
        setup.log("info", `round ${setup.round}: secure aggregation: ${nodeId} sent ${kind}`),
    });
  }

  taskExtras() {
    return {
      secure: { task: { config: this.config, weighting: this.weighting }, session: this.session },
    };
  }

  async collect(fit: FitNode): Promise<FitOutcome[]> {
    const { setup, session } = this;
    const errors = new Map<string, string>();
    // What each masked input cost as the hub measured it on arrival (bytes, training time).
    const measured = new Map<string, NodeSubmission["resources"]>();
    setup.participants.forEach((node, k) => {
      fit(node, k).then(
        (s) => measured.set(node.id, s.resources),
        (err: unknown) => errors.set(node.id, fitFailure(err)),
      );
    });
    try {
      this.result = await session.drive(
        setup.deadline,
        this.opts.spec.stageTimeoutMs ?? DEFAULT_SECAGG_STAGE_TIMEOUT_MS,
      );
    } catch (err) {
      if (!(err instanceof SecAggError)) throw err;
      this.failure = err.message;
      await setup.log(
        "warn",
        `round ${setup.round}: secure aggregation failed, the model stays as it was: ${this.failure}`,
      );
    } finally {
      session.fail("the round's secure aggregation is over");
    }
    return setup.participants.map((node): FitOutcome => {
      const submission = session.submissions.get(node.id);
      const resources = measured.get(node.id);
      if (submission)
        return {
          node,
          submission: { ...submission, ...(resources ? { resources } : {}) },
          error: undefined,
        };
      return {
        node,
        submission: undefined,
        error:
          session.refused.get(node.id) ??
          errors.get(node.id) ??
          (session.advertisedBy(node.id)
            ? "dropped out of secure aggregation before sending its masked input"
            : `no keys advertised within the round timeout (${this.opts.roundTimeoutMs} ms)`),
      };
    });
  }

  async aggregate(accepted: readonly NodeSubmission[]): Promise<AggregationResult> {
    const { start } = this.setup;
    if (accepted.length === 0) {
      return { model: start, excluded: new Map(), scoringModel: () => start };
    }
    const result = this.result;
    if (!result) {
      const reason = `secure aggregation failed: ${this.failure ?? "no result"}`;
      return {
        model: start,
        excluded: new Map(accepted.map((s) => [s.nodeId, reason])),
        scoringModel: () => start,
      };
    }
    // Agents masked weight x delta themselves; divide the sum by the survivors' weights, taken
    // from the sample counts they signed.
    const samplesOf = new Map(accepted.map((s) => [s.nodeId, s.signed.samples]));
    const total = result.survivors.reduce(
      (sum, id) => sum + secureInputWeight(this.weighting, samplesOf.get(id) ?? 0),
      0,
    );
    const model = this.opts.strategy.applyMean(start, meanFromSum(start, result.sum, total));
    const survivors = new Set(result.survivors);
    const excluded = new Map(
      accepted
        .filter((s) => !survivors.has(s.nodeId))
        .map((s) => [
          s.nodeId,
          "dropped out of secure aggregation before its masked input was summed",
        ]),
    );
    return { model, excluded, scoringModel: () => model };
  }

  close(): void {
    this.session.fail("the round is over");
  }
}

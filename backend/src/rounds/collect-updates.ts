import type { FitNode, FitOutcome, TaskExtras } from "../aggregation/aggregator.js";
import type { NodeCompression } from "../compression/run-compression.js";
import { fitFailure, type NodeProgress, type Participant } from "../nodes/participant.js";
import type { RoundDeps, RunState } from "./run-state.js";

/** Progress events per node are throttled to this interval (the last batch always goes out). */
const PROGRESS_EVERY_MS = 250;

/**
 * How the round asks participant k to train: the run's training parameters, the strategy's
 * configureFit, the aggregation's extras (privacy, SecAgg session), and live progress events.
 */
export function nodeFitter(
  run: RunState,
  round: number,
  deps: RoundDeps,
  extras: (node: Participant, k: number) => TaskExtras,
  deadline: number,
  /** A compressing run: the settings and the round's download. */
  compression?: NodeCompression,
): FitNode {
  const { config } = run;
  const fit = run.strategy.configureFit();
  return (node, k) => {
    const { privacy, secure } = extras(node, k);
    let lastProgress = 0;
    return node.fit(
      deps.engine,
      {
        model: run.model,
        weights: run.global,
        epochs: config.localEpochs,
        batchSize: config.batchSize,
        learningRate: config.learningRate,
        seed: (config.seed * 7_919 + round * 104_729 + k) >>> 0,
        ...(fit.proxMu ? { proxMu: fit.proxMu } : {}),
        onProgress: (p: NodeProgress) => {
          const now = Date.now();
          if (now - lastProgress < PROGRESS_EVERY_MS && p.batch < p.batches) return;
          lastProgress = now;
          void deps.events.publish({
            type: "node-progress",
            runId: run.runId,
            round,
            nodeId: node.id,
            epoch: p.epoch,
            batch: p.batch,
            batches: p.batches,
            loss: p.loss,
            // Remote agents report their CPU, memory, training time, upload and latency.
            ...(p.resources ? { resources: p.resources } : {}),
          });
        },
      },
      {
        runId: run.chainRunId,
        round,
        domain: run.domain,
        ...(privacy ? { privacy } : {}),
        ...(compression ? { compression } : {}),
        ...(run.remote
          ? { remote: { ...run.remote, deadline, ...(secure ? { secure } : {}) } }
          : {}),
      },
    );
  };
}

/**
 * Collect step: asks every participant for its update and waits until the deadline; a node that
 * fails or is late gets a reason instead of a submission.
 */
export async function collectUpdates(
  participants: readonly Participant[],
  fit: FitNode,
  deadline: number,
  timeoutMs: number,
): Promise<FitOutcome[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.all(
      participants.map(async (node, k): Promise<FitOutcome> => {
        const work = fit(node, k).then(
          (submission): FitOutcome => ({ node, submission, error: undefined }),
          (err: unknown): FitOutcome => ({ node, submission: undefined, error: fitFailure(err) }),
        );
        const r = await Promise.race([work, timeout]);
        if (r !== "timeout") return r;
        return {
          node,
          submission: undefined,
          error: `no update within the round timeout (${timeoutMs} ms)`,
        };
      }),
    );
  } finally {
    clearTimeout(timer);
  }
}

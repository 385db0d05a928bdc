// What the round pipeline needs of a node taking part in a round, whether simulated on the
// coordinator's workers or a remote agent: it trains on its own data and hands back a signed
// update. Nothing a participant returns is trusted; the validate step checks every byte.
import type { OwnDataSpecSchema, RunDataset, UpdateResources } from "../domain/index.js";
import type { NodeCompression } from "../compression/run-compression.js";
import type { ModelRef, TrainTask, TrainingEngine } from "../engine/port.js";
import type { UpdatePrivacy } from "../privacy/private-update.js";
import type { AgentResources, AgentSecureTask } from "./agent-protocol.js";
import type { RemoteSecAggSession } from "./remote-secagg-session.js";
import type { NodeSubmission as SignedSubmission } from "./node-submission.js";
import type { UpdateDomain } from "./update-signing.js";

/**
 * What a node hands back after training (see node-submission.ts), with what producing it cost as
 * the coordinator measured it on arrival (for the round record's UpdateOutcome.resources).
 */
export type NodeSubmission = SignedSubmission & { resources?: UpdateResources };

/** A training progress message; remote agents add their resource use. */
export type NodeProgress = Parameters<NonNullable<TrainTask["onProgress"]>>[0] & {
  resources?: AgentResources;
};

/** Secure aggregation with remote agents: what the agents are told, and the round's session. */
export interface RemoteSecureContext {
  task: AgentSecureTask;
  session: RemoteSecAggSession;
}

/** Run-level facts a remote task carries. */
export interface RemoteTaskContext {
  runId: string;
  dataset: RunDataset;
  model: ModelRef;
  /** dataset "own": the resolved spec the agent loads its own data with. */
  ownData?: OwnDataSpecSchema;
  parameterCount: number;
  deadline: number;
  secure?: RemoteSecureContext;
}

/** What a node is told with its task besides the training parameters. */
export interface FitContext {
  runId: `0x${string}`;
  round: number;
  domain: UpdateDomain;
  /** DP-FedAvg: clip and noise the delta before signing; `noiseSeed` seeds simulated noise. */
  privacy?: UpdatePrivacy & { noiseSeed: number };
  /**
   * A compressing run: the node trains from the decoded download and uploads its compressed delta
   * (after clipping and noise), whose bytes it hashes and signs.
   */
  compression?: NodeCompression;
  /** Remote agents only. */
  remote?: RemoteTaskContext;
}

/** What a remote agent announced of its data (names only, never samples). */
export interface NodeDataSummary {
  /** Where its data comes from, e.g. "mnist:0-600" or "table:/data/site-a.csv". */
  label: string;
  /** Own data: the class names it has. */
  classes?: readonly string[];
  /** Own table: its header's columns. */
  columns?: readonly string[];
}

export interface Participant {
  readonly id: string;
  readonly wallet: `0x${string}`;
  /** Remote agents: the sample count the agent announced (a public, self-reported figure). */
  readonly samples?: number;
  /** Remote agents: what the agent announced of its data. */
  readonly data?: NodeDataSummary;
  fit(
    engine: TrainingEngine,
    task: Omit<TrainTask, "indices">,
    ctx: FitContext,
  ): Promise<NodeSubmission>;
}

/** A node declined its task (a remote agent's privacy floor); the message says why. */
export class TaskRefused extends Error {}

/** The reason a fit failed, as a round record states it. */
export function fitFailure(err: unknown): string {
  return err instanceof TaskRefused ? err.message : `training failed: ${(err as Error).message}`;
}

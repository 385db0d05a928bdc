// The aggregation seam. A run picks one Aggregator when it starts (plain, in-process secure or
// remote secure; see create-aggregator.ts); each round opens an AggregationRound that says what
// every node's task carries (Flower's configure_fit), may run the collection itself (remote SecAgg
// drives its session while agents train), and turns the accepted submissions into the next global
// model (aggregate_fit). Differential privacy wraps an aggregator (client-dp.ts) the way Flower's
// DP wrappers wrap a strategy.
import type { Hex } from "viem";
import type { RoundPrivacy } from "../domain/index.js";
import type { NodeSubmission, Participant, RemoteSecureContext } from "../nodes/participant.js";
import type { UpdatePrivacy } from "../privacy/private-update.js";

export interface RoundSetup {
  round: number;
  chainRunId: Hex;
  /** The round's start model (the current global model). */
  start: Float32Array;
  participants: readonly Participant[];
  /** Unix ms when the round stops waiting for updates. */
  deadline: number;
  /** Average with equal weights instead of by samples (DP-FedAvg averages noised deltas so). */
  equalWeights: boolean;
  /** The run's log (SecAgg stages, failures). */
  log(level: "info" | "warn", message: string): Promise<void>;
}

/** What a node's task carries besides the training parameters, set by the aggregation. */
export interface TaskExtras {
  privacy?: UpdatePrivacy & { noiseSeed: number };
  secure?: RemoteSecureContext;
}

export type FitNode = (node: Participant, k: number) => Promise<NodeSubmission>;

/** What came of asking one participant to train. */
export interface FitOutcome {
  node: Participant;
  submission: NodeSubmission | undefined;
  /** Why there is no submission. */
  error: string | undefined;
}

export interface AggregationResult {
  /** The next global model (the start model when nothing could be aggregated). */
  model: Float32Array;
  /** Accepted submissions left out of the model, with why (robust selection, SecAgg dropout). */
  excluded: ReadonlyMap<string, string>;
  /**
   * The model standing for a kept node's contribution when it is scored: its own update, or the
   * round's aggregate when the coordinator never sees updates (secure aggregation).
   */
  scoringModel(nodeId: string): Float32Array;
  /** What the round did for privacy, when the run has it. */
  privacy?: RoundPrivacy;
  /**
   * Simulated secure aggregation: the bytes each node's masked input took in this process (its
   * submission carried its float32 input, which never travels as such).
   */
  uploadBytes?: ReadonlyMap<string, number>;
}

export interface AggregationRound {
  /** Extras for participant k's task (configure_fit). */
  taskExtras(node: Participant, k: number): TaskExtras;
  /**
   * Collects the participants' submissions itself (remote SecAgg runs its protocol while agents
   * train); absent: the collect step asks each participant and waits until the deadline.
   */
  collect?(fit: FitNode): Promise<FitOutcome[]>;
  /** aggregate_fit: the accepted submissions (possibly none) into the next global model. */
  aggregate(accepted: readonly NodeSubmission[]): Promise<AggregationResult>;
  /** Called once the round is over, whatever happened. */
  close(): void;
}

export interface Aggregator {
  readonly mode: "plain" | "secure";
  /**
   * Whether the coordinator sees each node's update: then the validate step checks the update
   * itself; otherwise only what the node signed (its commitment).
   */
  readonly seesUpdates: boolean;
  openRound(setup: RoundSetup): AggregationRound;
}

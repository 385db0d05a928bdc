import type { Hex } from "viem";
import type { Aggregator } from "../aggregation/aggregator.js";
import type { RunCompression } from "../compression/run-compression.js";
import type { ArtifactStore } from "../artifacts/artifact-store.js";
import type { RunConfig } from "../domain/index.js";
import type { ModelRef, TrainingEngine } from "../engine/port.js";
import type { RunEvents } from "../events/run-events.js";
import type { Strategy } from "../fl/strategies/strategy.js";
import type { Participant, RemoteTaskContext } from "../nodes/participant.js";
import type { UpdateDomain } from "../nodes/update-signing.js";
import type { RunPrivacy } from "../privacy/run-privacy.js";
import type { RewardPolicy } from "../rewards/reward-policy.js";
import type { SqlDatabase } from "../store/sql-database.js";
import type { AnomalyHistory } from "./update-anomaly.js";

/** What a running run holds between rounds; the run manager builds it once per run. */
export interface RunState {
  runId: string;
  chainRunId: Hex;
  config: RunConfig;
  /** The model the run trains, sized for its data (domain/run-model.ts runModelRef). */
  model: ModelRef;
  /** This round's participants: a seeded sample of the run's nodes (may wait for remote ones). */
  chooseParticipants(round: number): Promise<Participant[] | undefined>;
  /** Why a chosen node may not take part (undefined: it may); see nodes/node-admission.ts. */
  admit(node: Participant): Promise<string | undefined>;
  /** Called when a round is over, whatever happened (drops remote stragglers' tasks). */
  closeRound?(round: number): void;
  /** Run-level facts remote nodes need with their task. */
  remote?: Omit<RemoteTaskContext, "deadline" | "secure">;
  /** How nodes train (configureFit) and the server's optimizer state for checkpoints. */
  strategy: Strategy;
  /** How updates become the next model: chosen once per run (plain, secure, with DP or not). */
  aggregator: Aggregator;
  /** The reward formula as registered on chain. */
  policy: RewardPolicy;
  /** What the run's last recorded round carried into the next one's pool (zero-score rule). */
  carriedPoolWei?: bigint;
  domain: UpdateDomain;
  parameterCount: number;
  /** The current global model; replaced after every round (or by a rollback). */
  global: Float32Array;
  /** Its keccak256, when known (saves hashing it again at the next round's start). */
  globalHash?: `0x${string}`;
  /**
   * Anomaly screening: earlier rounds' unflagged update norms and cosines relative to their round
   * (update-anomaly.ts), extended after each recorded round, rebuilt from the round records on
   * resume. Undefined: empty.
   */
  anomalyHistory?: AnomalyHistory;
  /** Update compression (absent: raw float32 weights both ways). */
  compression?: RunCompression;
  /** DP-FedAvg accounting, saved with every checkpoint. */
  privacy?: RunPrivacy;
}

export interface RoundDeps {
  db: SqlDatabase;
  engine: TrainingEngine;
  events: RunEvents;
  /** Model versions and updates are kept here (the registry, the re-execution audit). */
  artifacts: ArtifactStore;
  /**
   * false (benchmarks only): rounds are recorded without storing their model version and updates,
   * so the registry, rollback and the re-execution audit have nothing to read. Default true.
   */
  keepRoundArtifacts?: boolean;
}

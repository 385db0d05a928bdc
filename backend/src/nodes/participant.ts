import type { TrainTask, TrainingEngine } from "../runs/engine-port.js";
import type { RemoteTaskContext } from "./remote-node-hub.js";
import type { FitContext, NodeSubmission } from "./simulated-node.js";

/** What the round executor needs of a node taking part in a round: simulated or remote. */
export interface Participant {
  readonly id: string;
  readonly wallet: `0x${string}`;
  /** Remote agents: the sample count the agent announced (a public, self-reported figure). */
  readonly samples?: number;
  fit(
    engine: TrainingEngine,
    task: Omit<TrainTask, "indices">,
    ctx: FitContext & { remote?: RemoteTaskContext },
  ): Promise<NodeSubmission>;
}

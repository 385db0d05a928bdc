import type { SignedUpdate } from "./update-signing.js";

/** What a node hands back after training: its model (absent under remote SecAgg) and signature. */
export interface NodeSubmission {
  nodeId: string;
  wallet: `0x${string}`;
  /** The node's model after training (and its privacy step); empty when the coordinator only
   * holds a commitment (remote secure aggregation: the masked input went into the session). */
  weights: Float32Array;
  /**
   * A compressing run's upload as sent, signed and stored (wire format v1, compression/): the
   * validate step decodes it onto the round's start model into `weights`, which is empty until
   * then.
   */
  payload?: Uint8Array;
  signed: SignedUpdate;
  reportedTrainLoss: number;
  /** With privacy: whether the node's delta was within the clip norm (for adaptive clipping). */
  unclipped?: boolean;
}

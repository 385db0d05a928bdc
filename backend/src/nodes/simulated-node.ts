import type { LocalAccount } from "viem";
import type { ByzantineSpec } from "../api/schemas.js";
import type { z } from "zod";
import type { TrainTask, TrainingEngine } from "../runs/engine-port.js";
import { seededNormalSource } from "../privacy/index.js";
import { privatizeUpdate, type UpdatePrivacy } from "./private-update.js";
import { hashWeights, signUpdate, type SignedUpdate, type UpdateDomain } from "./update-signing.js";

export type Attack = z.output<typeof ByzantineSpec>;

export interface NodeSubmission {
  nodeId: string;
  wallet: `0x${string}`;
  weights: Float32Array;
  signed: SignedUpdate;
  reportedTrainLoss: number;
  /** With privacy: whether the node's delta was within the clip norm (for adaptive clipping). */
  unclipped?: boolean;
}

/** What a node is told with its task besides the training parameters. */
export interface FitContext {
  runId: `0x${string}`;
  round: number;
  domain: UpdateDomain;
  /** DP-FedAvg: clip and noise the delta before signing; `noiseSeed` seeds simulated noise. */
  privacy?: UpdatePrivacy & { noiseSeed: number };
}

/**
 * A node simulated by the coordinator's machine: its own data shard and wallet key, local
 * training on the engine's workers, then hash and sign. A Byzantine one poisons its update after
 * training (sign flip or scaling of its delta) and signs the poisoned bytes, as a real attacker
 * with a valid key would.
 */
export class SimulatedNode {
  constructor(
    readonly id: string,
    readonly account: LocalAccount,
    readonly indices: Int32Array,
    readonly attack: Attack | undefined,
  ) {}

  get wallet(): `0x${string}` {
    return this.account.address;
  }

  async fit(
    engine: TrainingEngine,
    task: Omit<TrainTask, "indices">,
    ctx: FitContext,
  ): Promise<NodeSubmission> {
    const result = await engine.train({ ...task, indices: this.indices });
    let weights = result.weights;
    let unclipped: boolean | undefined;
    if (this.attack) {
      // An attacker does not follow the protocol: no clipping, no noise.
      weights = poison(task.weights, result.weights, this.attack);
    } else if (ctx.privacy) {
      const p = privatizeUpdate(
        task.weights,
        result.weights,
        ctx.privacy,
        seededNormalSource(ctx.privacy.noiseSeed),
      );
      weights = p.weights;
      unclipped = p.unclipped;
    }
    const signed = await signUpdate(this.account, ctx.domain, {
      runId: ctx.runId,
      round: ctx.round,
      updateHash: hashWeights(weights),
      samples: result.numSamples,
    });
    return {
      nodeId: this.id,
      wallet: this.wallet,
      weights,
      signed,
      reportedTrainLoss: result.trainLoss,
      ...(unclipped === undefined ? {} : { unclipped }),
    };
  }
}

function poison(start: Float32Array, trained: Float32Array, attack: Attack): Float32Array {
  const factor = attack.attack === "sign-flip" ? -1 : attack.scale;
  const out = new Float32Array(trained.length);
  for (let j = 0; j < trained.length; j++) out[j] = start[j]! + factor * (trained[j]! - start[j]!);
  return out;
}

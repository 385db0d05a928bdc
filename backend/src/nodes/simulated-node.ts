import type { LocalAccount } from "viem";
import type { TrainTask, TrainingEngine } from "../engine/port.js";
import { poisonUpdate, type ByzantineSpec } from "../fl/attacks.js";
import { seededNormalSource } from "../privacy/index.js";
import { privatizeUpdate } from "../privacy/private-update.js";
import type { FitContext, NodeSubmission, Participant } from "./participant.js";
import { hashWeightsOffThread, signUpdate } from "./update-signing.js";

/**
 * A node simulated by the coordinator's machine: its own data shard and wallet key, local
 * training on the engine's workers, then hash and sign. A Byzantine one poisons its update after
 * training (sign flip or scaling of its delta) and signs the poisoned bytes, as a real attacker
 * with a valid key would.
 */
export class SimulatedNode implements Participant {
  constructor(
    readonly id: string,
    readonly account: LocalAccount,
    readonly indices: Int32Array,
    readonly attack: ByzantineSpec | undefined,
  ) {}

  get wallet(): `0x${string}` {
    return this.account.address;
  }

  /** Its shard's size: what it trains on, and all it may claim. */
  get samples(): number {
    return this.indices.length;
  }

  async fit(
    engine: TrainingEngine,
    task: Omit<TrainTask, "indices">,
    ctx: FitContext,
  ): Promise<NodeSubmission> {
    const startedAt = Date.now();
    const result = await engine.train({ ...task, indices: this.indices });
    let weights = result.weights;
    let unclipped: boolean | undefined;
    if (this.attack) {
      // An attacker does not follow the protocol: no clipping, no noise.
      weights = poisonUpdate(task.weights, result.weights, this.attack);
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
      updateHash: await hashWeightsOffThread(weights),
      samples: result.numSamples,
    });
    return {
      nodeId: this.id,
      wallet: this.wallet,
      weights,
      signed,
      reportedTrainLoss: result.trainLoss,
      ...(unclipped === undefined ? {} : { unclipped }),
      // It shares the coordinator's process and workers: no CPU, memory or latency of its own.
      resources: {
        trainingMs: Date.now() - startedAt,
        uploadBytes: weights.byteLength,
        cpuPercent: null,
        rssBytes: null,
        latencyMs: null,
      },
    };
  }
}

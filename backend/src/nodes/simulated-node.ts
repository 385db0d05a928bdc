import type { LocalAccount } from "viem";
import type { NodeCompression } from "../compression/run-compression.js";
import {
  ErrorFeedback,
  compressUpload,
  decodeDownload,
} from "../compression/update-compression.js";
import type { TrainTask, TrainingEngine } from "../engine/port.js";
import { poisonUpdate, type ByzantineSpec } from "../fl/attacks.js";
import { keccak256BytesOffThread } from "./keccak.js";
import { seededNormalSource } from "../privacy/index.js";
import { privatizeUpdate } from "../privacy/private-update.js";
import type { FitContext, NodeSubmission, Participant } from "./participant.js";
import { hashWeightsOffThread, signUpdate } from "./update-signing.js";

/**
 * A node simulated by the coordinator's machine: its own data shard and wallet key, local
 * training on the engine's workers, then hash and sign. A Byzantine one poisons its update after
 * training (sign flip or scaling of its delta) and signs the poisoned bytes, as a real attacker
 * with a valid key would. In a compressing run it runs the same codec as a node agent: it trains
 * from the decoded download and signs its compressed delta, keeping its top-k residual here.
 */
export class SimulatedNode implements Participant {
  private readonly feedback = new ErrorFeedback();

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
    const c = ctx.compression;
    const start = c?.download
      ? decodeDownload(c.download, c.spec.download, task.weights.length, c.tensors)
      : task.weights;
    const result = await engine.train({ ...task, weights: start, indices: this.indices });
    let weights = result.weights;
    let unclipped: boolean | undefined;
    if (this.attack) {
      // An attacker does not follow the protocol: no clipping, no noise.
      weights = poisonUpdate(start, result.weights, this.attack);
    } else if (ctx.privacy) {
      const p = privatizeUpdate(
        start,
        result.weights,
        ctx.privacy,
        seededNormalSource(ctx.privacy.noiseSeed),
      );
      weights = p.weights;
      unclipped = p.unclipped;
    }
    const sent = c && !c.uploadInRing ? this.compress(c, start, weights, task.seed) : undefined;
    // Under secure aggregation the masking ring quantises and the aggregator takes the delta from
    // the round's full-precision model: hand over that model plus this node's delta from the
    // download it trained from (as an agent masks it), so download rounding does not accumulate.
    if (c?.uploadInRing && c.download) weights = rebase(task.weights, start, weights);
    const signed = await signUpdate(this.account, ctx.domain, {
      runId: ctx.runId,
      round: ctx.round,
      updateHash: sent ? await keccak256BytesOffThread(sent) : await hashWeightsOffThread(weights),
      samples: result.numSamples,
    });
    return {
      nodeId: this.id,
      wallet: this.wallet,
      // Compressed: the coordinator decodes the payload in its validate step, as for an agent's.
      weights: sent ? new Float32Array(0) : weights,
      ...(sent ? { payload: sent } : {}),
      signed,
      reportedTrainLoss: result.trainLoss,
      ...(unclipped === undefined ? {} : { unclipped }),
      // It shares the coordinator's process and workers: no CPU, memory or latency of its own.
      resources: {
        trainingMs: Date.now() - startedAt,
        uploadBytes: sent?.byteLength ?? weights.byteLength,
        cpuPercent: null,
        rssBytes: null,
        latencyMs: null,
      },
    };
  }

  /** The upload's bytes: its delta from the model it trained from, compressed. */
  private compress(
    c: NodeCompression,
    start: Float32Array,
    weights: Float32Array,
    seed: number,
  ): Uint8Array {
    return compressUpload(start, weights, c.spec.upload, c.tensors, this.feedback, seed).bytes;
  }
}

/** `global + (weights - start)`: a delta from `start` moved onto `global`. */
function rebase(global: Float32Array, start: Float32Array, weights: Float32Array): Float32Array {
  const out = new Float32Array(global.length);
  for (let i = 0; i < out.length; i++) out[i] = global[i]! + (weights[i]! - start[i]!);
  return out;
}

// A node agent's side of a compressing run: the same codec simulated nodes use (compression/),
// the wire format check, and the top-k residual it keeps per run across rounds.
import { PAYLOAD_VERSION, PayloadError } from "../compression/payload-format.js";
import { tensorSizes } from "../compression/run-compression.js";
import {
  ErrorFeedback,
  NonFiniteUpdate,
  compressUpload,
  decodeDownload,
} from "../compression/update-compression.js";
import type { AgentTask } from "../nodes/agent-protocol.js";
import { bytesToWeights } from "../nodes/agent-protocol.js";
import { keccak256Bytes } from "../nodes/keccak.js";
import type { CoordinatorClient } from "./coordinator-client.js";

/** The residuals of this many runs are kept (an agent serves one run at a time, usually). */
const RUNS_KEPT = 4;

/**
 * Why an agent cannot do its part of a compressing task (a download it cannot read, an update
 * that diverged to non-finite values): it refuses the task with this message.
 */
export class CompressionRefusal extends Error {}

export class AgentCompression {
  private readonly feedback = new Map<string, ErrorFeedback>();

  /** Why this agent cannot take part in the task's compression (undefined: it can). */
  static misfit(task: AgentTask): string | undefined {
    const wire = task.compression?.wireFormat;
    if (wire === undefined || wire === PAYLOAD_VERSION) return undefined;
    return `the run's updates use compressed wire format version ${wire}; this agent speaks version ${PAYLOAD_VERSION}: upgrade the agent`;
  }

  /**
   * Fetches the task's download and decodes it: the model it trains from. Throws
   * CompressionRefusal when it cannot be read (the agent refuses the task with the message).
   */
  async download(client: CoordinatorClient, task: AgentTask): Promise<Float32Array> {
    const res = await client.call("GET", `/api/agent/tasks/${task.taskId}/weights`, {
      signed: true,
    });
    const start = this.start(task, new Uint8Array(await res.arrayBuffer()));
    if (start.length !== task.parameterCount) {
      throw new Error(
        `the global model has ${start.length} parameters, the task says ${task.parameterCount}`,
      );
    }
    return start;
  }

  /** The model the task trains from: the raw weights, or the decoded compressed download. */
  start(task: AgentTask, bytes: Uint8Array): Float32Array {
    const c = task.compression;
    if (!c || c.spec.download.quantise === "none") return bytesToWeights(bytes);
    try {
      return decodeDownload(bytes, c.spec.download, task.parameterCount, tensorSizes(task.model));
    } catch (err) {
      if (err instanceof PayloadError)
        throw new CompressionRefusal(`the global model's download is unreadable: ${err.message}`);
      throw err;
    }
  }

  /**
   * What the agent uploads for `weights` (after its privacy step): the compressed delta from
   * `start` (with this run's residual for top-k), or undefined when the run does not compress.
   */
  upload(
    task: AgentTask,
    start: Float32Array,
    weights: Float32Array,
  ): { bytes: Uint8Array; hash: `0x${string}` } | undefined {
    const c = task.compression;
    if (!c) return undefined;
    try {
      const { bytes } = compressUpload(
        start,
        weights,
        c.spec.upload,
        tensorSizes(task.model),
        this.feedbackFor(task.runId),
        task.seed,
      );
      return { bytes, hash: keccak256Bytes(bytes) };
    } catch (err) {
      if (err instanceof NonFiniteUpdate) throw new CompressionRefusal(err.message);
      throw err;
    }
  }

  private feedbackFor(runId: string): ErrorFeedback {
    let fb = this.feedback.get(runId);
    if (!fb) {
      fb = new ErrorFeedback();
      this.feedback.set(runId, fb);
      if (this.feedback.size > RUNS_KEPT) this.feedback.delete(this.feedback.keys().next().value!);
    }
    return fb;
  }
}

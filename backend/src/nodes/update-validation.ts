import type { UploadCompression } from "../domain/compression.js";
import { PayloadError } from "../compression/payload-format.js";
import { decodeUpload } from "../compression/update-compression.js";
import type { TensorSizes } from "../compression/vector-codec.js";
import { keccak256BytesOffThread } from "./keccak.js";
import {
  hashWeightsOffThread,
  recoverUpdateSigner,
  type SignedUpdate,
  type UpdateDomain,
} from "./update-signing.js";

export interface IncomingUpdate {
  nodeId: string;
  wallet: `0x${string}`;
  weights: Float32Array;
  signed: SignedUpdate;
}

export type Verdict = { accepted: true } | { accepted: false; reason: string };

/** A model's parameter tensors in flat order (engine ParamSpec): checked one by one. */
export interface LayerShape {
  name: string;
  shape: readonly number[];
}

/** Where flat parameter `j` lies: "<tensor> [<shape>] value <i>". */
function locate(layers: readonly LayerShape[], j: number): string {
  let off = 0;
  for (const l of layers) {
    const size = l.shape.reduce((a, b) => a * b, 1);
    if (j < off + size) return `${l.name} [${l.shape.join("×")}] value ${j - off}`;
    off += size;
  }
  return `parameter ${j}`;
}

/** The per-tensor shapes a flat vector of `length` values should have had, for a rejection. */
function expectedShapes(layers: readonly LayerShape[]): string {
  return layers.map((l) => `${l.name} [${l.shape.join("×")}]`).join(", ");
}

/**
 * Checks an update before it may be aggregated: right run and round, right length, every value
 * finite, the hash matches the bytes, and the node's own wallet signed it.
 */
export async function validateUpdate(
  u: IncomingUpdate,
  expect: {
    runId: `0x${string}`;
    round: number;
    parameterCount: number;
    domain: UpdateDomain;
    /** The model's tensors in flat order: they must add up to parameterCount. */
    layers?: readonly LayerShape[];
  },
): Promise<Verdict> {
  if (
    u.signed.runId.toLowerCase() !== expect.runId.toLowerCase() ||
    u.signed.round !== expect.round
  ) {
    return { accepted: false, reason: "update is for another run or round" };
  }
  const layers = expect.layers ?? [];
  if (u.weights.length !== expect.parameterCount) {
    return {
      accepted: false,
      reason: `wrong shape: ${u.weights.length} parameters, expected ${expect.parameterCount}${layers.length ? ` (${expectedShapes(layers)})` : ""}`,
    };
  }
  for (let j = 0; j < u.weights.length; j++) {
    if (!Number.isFinite(u.weights[j]!)) {
      return {
        accepted: false,
        reason: `non-finite value (${u.weights[j]}) at ${layers.length ? locate(layers, j) : `parameter ${j}`}`,
      };
    }
  }
  if (!Number.isInteger(u.signed.samples) || u.signed.samples <= 0) {
    return { accepted: false, reason: `invalid sample count ${u.signed.samples}` };
  }
  if ((await hashWeightsOffThread(u.weights)) !== u.signed.updateHash) {
    return { accepted: false, reason: "update hash does not match the update's bytes" };
  }
  const signer = await recoverUpdateSigner(expect.domain, u.signed);
  if (!signer || signer.toLowerCase() !== u.wallet.toLowerCase()) {
    return {
      accepted: false,
      reason: `bad signature: signed by ${signer ?? "nobody"}, node wallet is ${u.wallet}`,
    };
  }
  return { accepted: true };
}

type Expected = { runId: `0x${string}`; round: number; domain: UpdateDomain };

/** What every update must be: for this run and round, with a positive whole sample count. */
function wrongRunOrSamples(u: { signed: SignedUpdate }, expect: Expected): Verdict | undefined {
  if (
    u.signed.runId.toLowerCase() !== expect.runId.toLowerCase() ||
    u.signed.round !== expect.round
  ) {
    return { accepted: false, reason: "update is for another run or round" };
  }
  if (!Number.isInteger(u.signed.samples) || u.signed.samples <= 0) {
    return { accepted: false, reason: `invalid sample count ${u.signed.samples}` };
  }
  return undefined;
}

/** Whether the node's own wallet signed it (EIP-712). */
async function badSigner(
  u: { wallet: `0x${string}`; signed: SignedUpdate },
  expect: Expected,
): Promise<Verdict | undefined> {
  const signer = await recoverUpdateSigner(expect.domain, u.signed);
  if (!signer || signer.toLowerCase() !== u.wallet.toLowerCase()) {
    return {
      accepted: false,
      reason: `bad signature: signed by ${signer ?? "nobody"}, node wallet is ${u.wallet}`,
    };
  }
  return undefined;
}

/**
 * The checks possible when the coordinator does not see the update (secure aggregation): right
 * run and round, a sane sample count, and the node's own wallet signed its commitment (the hash
 * of the update it masks and the sample count its weight in the mean is taken from).
 */
export async function validateCommitment(
  u: Omit<IncomingUpdate, "weights">,
  expect: Expected,
): Promise<Verdict> {
  return wrongRunOrSamples(u, expect) ?? (await badSigner(u, expect)) ?? { accepted: true };
}

/**
 * A compressing run's upload: right run and round, a sane sample count, the hash is of the
 * payload's bytes and the node's wallet signed it, and the payload is in the run's settings for
 * this model (version, coding, k, scales, indices, values); it then decodes onto the round's
 * start model, which must stay finite. Accepted: the weights it stands for.
 */
export async function validateCompressedUpdate(
  u: Omit<IncomingUpdate, "weights"> & { payload: Uint8Array },
  expect: Expected & { upload: UploadCompression; start: Float32Array; tensors: TensorSizes },
): Promise<Verdict & { weights?: Float32Array }> {
  const early = wrongRunOrSamples(u, expect);
  if (early) return early;
  if ((await keccak256BytesOffThread(u.payload)) !== u.signed.updateHash) {
    return { accepted: false, reason: "update hash does not match the payload's bytes" };
  }
  const signature = await badSigner(u, expect);
  if (signature) return signature;
  let weights: Float32Array;
  try {
    weights = decodeUpload(u.payload, expect.upload, expect.start, expect.tensors);
  } catch (err) {
    if (!(err instanceof PayloadError)) throw err;
    return { accepted: false, reason: `malformed compressed update: ${err.message}` };
  }
  const bad = weights.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    return { accepted: false, reason: `the decoded update is not finite at parameter ${bad}` };
  }
  return { accepted: true, weights };
}

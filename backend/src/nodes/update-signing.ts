import { keccak256Bytes, keccak256BytesOffThread } from "./keccak.js";
import { recoverTypedDataAddress, type Hex, type LocalAccount } from "viem";

/**
 * A node signs what it sends: the hash of its update's bytes, for a run and a round, with its
 * wallet key (EIP-712). The coordinator verifies before it aggregates anything.
 */
export const UPDATE_TYPES = {
  UpdateSubmission: [
    { name: "runId", type: "bytes32" },
    { name: "round", type: "uint32" },
    { name: "updateHash", type: "bytes32" },
    { name: "samples", type: "uint64" },
  ],
} as const;

export interface UpdateDomain {
  chainId: number;
  verifyingContract: `0x${string}`;
}

const domain = (d: UpdateDomain) => ({ name: "FedLedger Update", version: "1", ...d });

export interface SignedUpdate {
  runId: Hex;
  round: number;
  updateHash: Hex;
  samples: number;
  signature: Hex;
}

/** keccak256 of the weights' little-endian float32 bytes. */
export function hashWeights(weights: Float32Array): Hex {
  return keccak256Bytes(new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength));
}

/** hashWeights off the event loop (a worker thread) for model-sized arrays. */
export function hashWeightsOffThread(weights: Float32Array): Promise<Hex> {
  const bytes = new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength);
  return keccak256BytesOffThread(bytes);
}

export async function signUpdate(
  account: LocalAccount,
  d: UpdateDomain,
  u: Omit<SignedUpdate, "signature">,
): Promise<SignedUpdate> {
  const signature = await account.signTypedData({
    domain: domain(d),
    types: UPDATE_TYPES,
    primaryType: "UpdateSubmission",
    message: {
      runId: u.runId,
      round: u.round,
      updateHash: u.updateHash,
      samples: BigInt(u.samples),
    },
  });
  return { ...u, signature };
}

/** The address that signed, or undefined for a malformed signature. */
export async function recoverUpdateSigner(
  d: UpdateDomain,
  u: SignedUpdate,
): Promise<`0x${string}` | undefined> {
  try {
    return await recoverTypedDataAddress({
      domain: domain(d),
      types: UPDATE_TYPES,
      primaryType: "UpdateSubmission",
      message: {
        runId: u.runId,
        round: u.round,
        updateHash: u.updateHash,
        samples: BigInt(u.samples),
      },
      signature: u.signature,
    });
  } catch {
    return undefined;
  }
}

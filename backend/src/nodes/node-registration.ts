import {
  keccak256,
  recoverTypedDataAddress,
  toBytes,
  type Hex,
  type LocalAccount,
  type PublicClient,
} from "viem";

/**
 * EIP-712 node registration, exactly as ContributionLedger.registerNode checks it:
 * domain ("FedLedger", "1", chainId, ledger), RegisterNode(bytes32 nodeId,address wallet,uint256 deadline).
 * The on-chain node id is keccak256 of the node id string.
 */
export const REGISTER_NODE_TYPES = {
  RegisterNode: [
    { name: "nodeId", type: "bytes32" },
    { name: "wallet", type: "address" },
    { name: "deadline", type: "uint256" },
  ],
} as const;

export interface LedgerDomain {
  chainId: number;
  verifyingContract: `0x${string}`;
}

export const registrationDomain = (d: LedgerDomain) => ({ name: "FedLedger", version: "1", ...d });

/** Node ids of the nodes the coordinator simulates itself (sim-1, sim-2, …). */
export const SIMULATED_NODE_PREFIX = "sim-";

/**
 * The on-chain node id: keccak256 of the id string. Simulated nodes live in the ledger's reserved
 * namespace (first byte 0xff), which only the recorder may register, so nobody can squat them.
 */
export function chainNodeId(nodeId: string): Hex {
  const hash = keccak256(toBytes(nodeId));
  return nodeId.startsWith(SIMULATED_NODE_PREFIX) ? `0xff${hash.slice(4)}` : hash;
}

/** Why a node agent may not use this id, or undefined when it may. */
export function reservedNodeIdReason(nodeId: string): string | undefined {
  if (nodeId.startsWith(SIMULATED_NODE_PREFIX))
    return `node ids starting with "${SIMULATED_NODE_PREFIX}" are reserved for the coordinator's simulated nodes`;
  if (chainNodeId(nodeId).startsWith("0xff"))
    return `node id "${nodeId}" hashes into the ledger's reserved namespace (first byte 0xff); choose another id`;
  return undefined;
}

export function signRegistration(
  account: LocalAccount,
  d: LedgerDomain,
  nodeId: string,
  deadline: bigint,
): Promise<Hex> {
  return account.signTypedData({
    domain: registrationDomain(d),
    types: REGISTER_NODE_TYPES,
    primaryType: "RegisterNode",
    message: { nodeId: chainNodeId(nodeId), wallet: account.address, deadline },
  });
}

export async function registrationSigner(
  d: LedgerDomain,
  nodeId: string,
  wallet: `0x${string}`,
  deadline: bigint,
  signature: Hex,
): Promise<`0x${string}` | undefined> {
  try {
    return await recoverTypedDataAddress({
      domain: registrationDomain(d),
      types: REGISTER_NODE_TYPES,
      primaryType: "RegisterNode",
      message: { nodeId: chainNodeId(nodeId), wallet, deadline },
      signature,
    });
  } catch {
    return undefined;
  }
}

/**
 * Whether `signature` proves `wallet`'s consent to the registration, exactly as the ledger checks
 * it: an EOA's ECDSA signature, or a smart-contract wallet's ERC-1271 `isValidSignature` (asked on
 * chain through `client`), so every wallet the contract accepts is accepted here too.
 */
export async function verifyRegistration(
  client: Pick<PublicClient, "verifyTypedData">,
  d: LedgerDomain,
  nodeId: string,
  wallet: `0x${string}`,
  deadline: bigint,
  signature: Hex,
): Promise<boolean> {
  try {
    return await client.verifyTypedData({
      address: wallet,
      domain: registrationDomain(d),
      types: REGISTER_NODE_TYPES,
      primaryType: "RegisterNode",
      message: { nodeId: chainNodeId(nodeId), wallet, deadline },
      signature,
    });
  } catch {
    return false;
  }
}

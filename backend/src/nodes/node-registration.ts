import { keccak256, recoverTypedDataAddress, toBytes, type Hex, type LocalAccount } from "viem";

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

export function chainNodeId(nodeId: string): Hex {
  return keccak256(toBytes(nodeId));
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

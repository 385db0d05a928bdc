// Node agents sign the keys they advertise for secure aggregation with their registered wallet,
// and check every other node's keys in the roster against that node's wallet as registered on
// chain. Without this, SecAgg trusts the coordinator to relay keys honestly (semi-honest server);
// with it, a coordinator that swaps in keys of its own, to read a node's pairwise-masked input,
// is caught by the node before it shares anything: the ledger's node registrations serve as the
// PKI of Bonawitz et al.'s malicious-server variant.
import {
  createPublicClient,
  getAddress,
  http,
  recoverMessageAddress,
  zeroAddress,
  type Address,
  type Hex,
  type LocalAccount,
} from "viem";
import { contributionLedgerAbi } from "../../../chain/generated/abis.js";
import { SecAggError, type AdvertiseKeysMessage, type KeyRosterMessage } from "../secagg/index.js";
import { chainNodeId } from "./node-registration.js";

/** The text a node's wallet signs (EIP-191) for the keys it advertises in one session. */
export function keySignatureText(
  sessionId: string,
  clientId: string,
  cPublicKey: string,
  sPublicKey: string,
): string {
  return `FedLedger secure aggregation keys\nsession: ${sessionId}\nnode: ${clientId}\nc: ${cPublicKey}\ns: ${sPublicKey}`;
}

/** The advertisement with the node wallet's signature of its keys. */
export async function signAdvertisedKeys(
  account: LocalAccount,
  message: AdvertiseKeysMessage,
): Promise<AdvertiseKeysMessage> {
  const signature = await account.signMessage({
    message: keySignatureText(
      message.sessionId,
      message.clientId,
      message.cPublicKey,
      message.sPublicKey,
    ),
  });
  return { ...message, signature };
}

/** Whether `keys` carry `wallet`'s signature of them for `sessionId`. */
export async function keysSignedBy(
  sessionId: string,
  keys: {
    clientId: string;
    cPublicKey: string;
    sPublicKey: string;
    signature?: string | undefined;
  },
  wallet: Address,
): Promise<boolean> {
  if (!keys.signature) return false;
  try {
    const signer = await recoverMessageAddress({
      message: keySignatureText(sessionId, keys.clientId, keys.cPublicKey, keys.sPublicKey),
      signature: keys.signature as Hex,
    });
    return getAddress(signer) === getAddress(wallet);
  } catch {
    return false;
  }
}

/** The wallet registered for a node id, or undefined when none is. */
export type RegisteredWalletLookup = (nodeId: string) => Promise<Address | undefined>;

/**
 * Checks that every roster entry's keys are signed by the wallet registered for its node id.
 * Throws a SecAggError (protocol violation) naming the first entry that is not, so the node
 * leaves the round before it shares a secret with keys the coordinator may hold.
 */
export async function verifyRosterSignatures(
  roster: KeyRosterMessage,
  walletOf: RegisteredWalletLookup,
): Promise<void> {
  for (const c of roster.clients) {
    const wallet = await walletOf(c.clientId);
    if (!wallet) {
      throw new SecAggError(
        "protocol-violation",
        `the roster names ${c.clientId}, which has no registered wallet`,
      );
    }
    if (!(await keysSignedBy(roster.sessionId, c, wallet))) {
      throw new SecAggError(
        "protocol-violation",
        `the roster's keys of ${c.clientId} are not signed by its registered wallet ${wallet}`,
      );
    }
  }
}

/**
 * Reads node registrations from a ContributionLedger over JSON-RPC. A node the ledger does not
 * know yet is asked for again until `waitMs` (its registration may still be on its way to the
 * chain); a found wallet is remembered, since a registration is permanent.
 */
export function ledgerWalletLookup(
  rpcUrl: string,
  ledger: Address,
  waitMs = 15_000,
): RegisteredWalletLookup {
  const client = createPublicClient({ transport: http(rpcUrl, { timeout: 10_000 }) });
  const known = new Map<string, Address>();
  return async (nodeId) => {
    const cached = known.get(nodeId);
    if (cached) return cached;
    const deadline = Date.now() + waitMs;
    for (;;) {
      const wallet = await client.readContract({
        address: ledger,
        abi: contributionLedgerAbi,
        functionName: "nodeWallet",
        args: [chainNodeId(nodeId)],
      });
      if (wallet !== zeroAddress) {
        known.set(nodeId, wallet);
        return wallet;
      }
      if (Date.now() >= deadline) return undefined;
      await new Promise((r) => setTimeout(r, 500));
    }
  };
}

import type { ContractErrorName } from "viem";
import { contributionLedgerAbi, rewardTokenAbi } from "../../../chain/generated/abis.js";

/** Every custom error a ledger write can revert with, as the generated ABI names them. */
export type LedgerErrorName =
  ContractErrorName<typeof contributionLedgerAbi> | ContractErrorName<typeof rewardTokenAbi>;

/**
 * What the recorder does when a write reverts with each error: "permanent" (retrying cannot
 * change the outcome: the item is parked as failed with the reason) or "transient" (an operator
 * or time can fix it: retried with backoff). The map is keyed by the ABI's error names, so a new
 * error in the contracts fails to compile until it is classified here.
 */
export const REVERT_CLASS: Record<LedgerErrorName, "permanent" | "transient"> = {
  // The recorder lost its role, or the ledger is paused: an admin fixes it, then writes go on.
  AccessControlUnauthorizedAccount: "transient",
  AccessControlBadConfirmation: "transient",
  EnforcedPause: "transient",
  ExpectedPause: "transient",
  // Malformed or conflicting writes.
  InvalidRunId: "permanent",
  InvalidPolicyId: "permanent",
  InvalidModelHash: "permanent",
  RoundNotIncreasing: "permanent",
  DuplicateContribution: "permanent",
  InvalidNodeId: "permanent",
  InvalidWallet: "permanent",
  NodeAlreadyRegistered: "permanent",
  WalletAlreadyRegistered: "permanent",
  RegistrationExpired: "permanent",
  InvalidRegistrationSignature: "permanent",
  // Ordering: the recorder sends a run's registration before its rounds, so these clear once the
  // earlier write lands.
  RunNotRegistered: "transient",
  NodeNotRegistered: "transient",
  RunAlreadyRegistered: "transient",
  RoundAlreadyRecorded: "transient",
  // Claims and token internals: not sent by the recorder; retried if they ever appear.
  InsufficientClaimable: "transient",
  NothingToClaim: "transient",
  ZeroClaim: "transient",
  ZeroAddress: "transient",
  InvalidShortString: "transient",
  StringTooLong: "transient",
  SafeCastOverflowedUintDowncast: "transient",
  ECDSAInvalidSignature: "transient",
  ECDSAInvalidSignatureLength: "transient",
  ECDSAInvalidSignatureS: "transient",
  ERC20InsufficientAllowance: "transient",
  ERC20InsufficientBalance: "transient",
  ERC20InvalidApprover: "transient",
  ERC20InvalidReceiver: "transient",
  ERC20InvalidSender: "transient",
  ERC20InvalidSpender: "transient",
  ERC2612ExpiredSignature: "transient",
  ERC2612InvalidSigner: "transient",
  InvalidAccountNonce: "transient",
  RewardTokenInvalidMinter: "transient",
  RewardTokenUnauthorizedMinter: "transient",
};

export function isPermanentRevert(errorName: string | undefined): boolean {
  return errorName !== undefined && REVERT_CLASS[errorName as LedgerErrorName] === "permanent";
}

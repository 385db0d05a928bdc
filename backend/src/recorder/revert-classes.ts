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
  // A run's registration goes out before its rounds in the run's lane, so a round of a run the
  // chain does not know clears once the registration lands (the worker fails it for good when the
  // registration itself failed). Nodes are admitted to a round only once their registration is on
  // chain or ahead in the lane, so a contribution naming an unknown wallet never will clear.
  RunNotRegistered: "transient",
  NodeNotRegistered: "permanent",
  ReservedNodeId: "permanent",
  RunAlreadyRegistered: "transient",
  RoundAlreadyRecorded: "transient",
  // Claims and token internals: not sent by the recorder; retried if they ever appear.
  InsufficientClaimable: "transient",
  NothingToClaim: "transient",
  ZeroClaim: "transient",
  ZeroAddress: "transient",
  InvalidShortString: "transient",
  StringTooLong: "transient",
  // A reward or total past the contract's integer widths: the same write overflows every time.
  SafeCastOverflowedUintDowncast: "permanent",
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

import { BaseError, ContractFunctionRevertedError, UserRejectedRequestError } from "viem";

/** Error codes EIP-1193 wallets use for "the user said no". */
const REJECTED_CODES = new Set([4001, "ACTION_REJECTED"]);

function walk(err: unknown, match: (e: unknown) => boolean): boolean {
  let cur: unknown = err;
  for (let depth = 0; cur && depth < 10; depth++) {
    if (match(cur)) return true;
    cur = (cur as { cause?: unknown }).cause;
  }
  return false;
}

export function isUserRejection(err: unknown): boolean {
  return walk(
    err,
    (e) =>
      e instanceof UserRejectedRequestError ||
      REJECTED_CODES.has((e as { code?: number | string }).code ?? ""),
  );
}

/** A wallet or chain error in words that say what to do next. */
export function walletErrorMessage(err: unknown): string {
  if (isUserRejection(err))
    return "You rejected the request in your wallet, so nothing was sent. Click again when you are ready.";
  if (err instanceof BaseError) {
    const revert = err.walk((e) => e instanceof ContractFunctionRevertedError);
    if (revert instanceof ContractFunctionRevertedError) {
      const name = revert.data?.errorName;
      if (name === "NothingToClaim") return "Nothing to claim for this wallet yet.";
      if (name === "EnforcedPause")
        return "The ledger is paused by its operator; claims are disabled until it resumes.";
      if (name) return `The contract refused the transaction (${name}).`;
    }
    if (/fetch|network|HTTP request failed|ECONNREFUSED/i.test(err.message))
      return "The chain is not reachable. Is the local chain running (`npm start`)?";
    return err.shortMessage;
  }
  return err instanceof Error ? err.message : String(err);
}

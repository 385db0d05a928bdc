import { parseUnits } from "viem";
import { z } from "zod";

/**
 * The most tokens one round may pay. The ledger keeps each wallet's balance in 120 bits and a run's
 * total in 128: 10^9 tokens (10^27 wei, about 2^90) per round for 10,000 rounds stays far inside
 * both, so no round the API accepts can overflow the contract.
 */
export const MAX_POOL_PER_ROUND_TOKENS = 1_000_000_000;

/** A token amount in whole tokens as a decimal string, e.g. "100" or "2.5" (18 decimals). */
const TOKEN_AMOUNT = /^\d+(\.\d{1,18})?$/;
export const TokenAmount = z
  .string()
  .regex(TOKEN_AMOUNT, 'expected a decimal token amount such as "100" or "2.5"');

/** A round's reward pool: a token amount within the contract's integer widths. */
export const PoolAmount = TokenAmount.refine(
  // Refinements run even when the pattern failed: only a well-formed amount is compared.
  (v) =>
    !TOKEN_AMOUNT.test(v) ||
    (v.length <= 40 && parseUnits(v, 18) <= parseUnits(String(MAX_POOL_PER_ROUND_TOKENS), 18)),
  {
    message: `at most ${MAX_POOL_PER_ROUND_TOKENS.toLocaleString("en-US")} tokens per round (the ledger keeps balances in 120 bits)`,
  },
);

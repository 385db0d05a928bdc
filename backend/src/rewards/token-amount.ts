import { z } from "zod";

/** A token amount in whole tokens as a decimal string, e.g. "100" or "2.5" (18 decimals). */
export const TokenAmount = z
  .string()
  .regex(/^\d+(\.\d{1,18})?$/, 'expected a decimal token amount such as "100" or "2.5"');

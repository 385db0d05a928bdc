import { isAddress } from "viem";
import { z } from "zod";

export { TokenAmount } from "../rewards/token-amount.js";

/**
 * A string checked against a 0x-hex pattern whose parsed type is viem's `0x${string}`. (The cast is
 * type-only: the schema is still a regex-checked string, which is what its JSON Schema says.)
 */
function hexString(pattern: RegExp, message: string) {
  return z.string().regex(pattern, message) as unknown as z.ZodType<`0x${string}`, string>;
}

/**
 * A 20-byte address: all lower case, all upper case, or mixed case with a valid EIP-55 checksum
 * (a mixed-case address with a wrong checksum is a typo, refused).
 */
export const Address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "expected a 0x-prefixed 20-byte address")
  .refine((a) => !/^0x[0-9a-fA-F]{40}$/.test(a) || isAddress(a, { strict: true }), {
    message: "mixed-case addresses must carry a valid EIP-55 checksum (or send it all lower case)",
  }) as unknown as z.ZodType<`0x${string}`, string>;
export const Hex32 = hexString(/^0x[0-9a-fA-F]{64}$/, "expected a 0x-prefixed 32-byte hex value");
export const Hex = hexString(/^0x([0-9a-fA-F]{2})*$/, "expected 0x-prefixed hex bytes");

/** Run ids look like run-0123456789 (10 hex digits). */
export const RunId = z.string().regex(/^run-[0-9a-f]{10}$/, "run ids look like run-0123456789");

export const NodeId = z
  .string()
  .regex(/^[a-zA-Z0-9_.-]{1,64}$/, "node ids are 1-64 characters of a-z A-Z 0-9 _ . -");

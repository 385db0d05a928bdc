/** Losses go on chain as fixed-point integers with 18 decimals (1.0 == 10^18). */
export const LOSS_SCALE = 10n ** 18n;

/** The largest fixed-point loss the ledger stores (its losses are uint128). */
export const MAX_FIXED_LOSS = 2n ** 128n - 1n;

const view = new DataView(new ArrayBuffer(8));

/** |x| as an exact integer mantissa times a power of two. */
function binaryParts(x: number): { mantissa: bigint; exponent: number } {
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  const fraction = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  // Subnormals have no implicit leading bit and the smallest exponent.
  return biased === 0
    ? { mantissa: fraction, exponent: -1074 }
    : { mantissa: fraction | (1n << 52n), exponent: biased - 1075 };
}

/**
 * Converts any finite number to 18-decimal fixed point, exactly: the integer nearest to
 * x * 10^18 computed from x's binary value (ties away from zero), which is what toFixed(18)
 * prints below 1e21, with no string round trip and no exponent notation, so it is total over the
 * finite numbers (whether the result fits the ledger is `recordableLoss`'s question).
 */
export function lossToFixed(loss: number): bigint {
  if (!Number.isFinite(loss)) throw new RangeError(`loss must be finite, got ${loss}`);
  const { mantissa, exponent } = binaryParts(loss);
  const scaled = mantissa * LOSS_SCALE;
  let value: bigint;
  if (exponent >= 0) value = scaled << BigInt(exponent);
  else {
    const shift = BigInt(-exponent);
    value = scaled >> shift;
    const rest = scaled - (value << shift);
    if (rest << 1n >= 1n << shift) value += 1n;
  }
  return loss < 0 ? -value : value;
}

/**
 * A loss as the ledger records it, or why it cannot be: it must be finite, not negative, and fit
 * the contract's uint128 at 18 decimals (below about 3.4e20).
 */
export function recordableLoss(loss: number): { fixed: bigint } | { reason: string } {
  if (!Number.isFinite(loss)) return { reason: `${loss} is not finite` };
  if (loss < 0) return { reason: `${loss} is negative` };
  const fixed = lossToFixed(loss);
  if (fixed > MAX_FIXED_LOSS)
    return { reason: `${loss} exceeds the ledger's uint128 at 18 decimals (max ~3.4e20)` };
  return { fixed };
}

export function fixedToLoss(value: bigint): number {
  return Number(value) / 1e18;
}

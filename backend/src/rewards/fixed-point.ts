/** Losses go on chain as fixed-point integers with 18 decimals (1.0 == 10^18). */
export const LOSS_SCALE = 10n ** 18n;

/** Converts a finite, non-negative loss to 18-decimal fixed point, exactly as printed by toFixed. */
export function lossToFixed(loss: number): bigint {
  if (!Number.isFinite(loss)) throw new Error(`loss must be finite, got ${loss}`);
  const negative = loss < 0;
  const [whole, frac = ""] = Math.abs(loss).toFixed(18).split(".");
  const value = BigInt(whole!) * LOSS_SCALE + BigInt(frac.padEnd(18, "0"));
  return negative ? -value : value;
}

export function fixedToLoss(value: bigint): number {
  return Number(value) / 1e18;
}

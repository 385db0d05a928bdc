// Shamir t-of-n secret sharing over GF(p), p = 2^127 - 1 (a Mersenne prime), with bigint
// arithmetic. A byte string is cut into 15-byte chunks (120 bits < 127), each chunk is the constant
// term of its own random polynomial of degree t - 1, and a share holds one evaluation per chunk at
// the holder's x. A 32-byte secret is 3 field elements, so a share is 48 bytes.
//
// Any t shares determine every polynomial (Lagrange interpolation at 0); t - 1 shares are
// consistent with every possible secret, so they reveal nothing about it (the coefficients are
// uniform in the field, drawn from crypto.randomBytes). Interpolating from fewer than t shares
// therefore yields garbage, which combineShares refuses to attempt.
import { randomBytes } from "node:crypto";
import { SecAggError } from "./secagg-error.js";

export const FIELD_PRIME = (1n << 127n) - 1n;
const CHUNK_BYTES = 15;
const ELEMENT_BYTES = 16;

/** One holder's share: its evaluation point x (1-based holder index) and one value per chunk. */
export interface ShamirShare {
  readonly x: number;
  readonly ys: readonly bigint[];
}

function mod(a: bigint): bigint {
  const r = a % FIELD_PRIME;
  return r < 0n ? r + FIELD_PRIME : r;
}

/** Multiplicative inverse in GF(p) by the extended Euclidean algorithm. */
function inverse(a: bigint): bigint {
  let [r0, r1] = [mod(a), FIELD_PRIME];
  let [s0, s1] = [1n, 0n];
  if (r0 === 0n) throw new Error("zero has no inverse");
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return mod(s0);
}

/** Uniform in [0, p): 127 random bits, rejecting the single value p itself. */
function randomFieldElement(): bigint {
  for (;;) {
    const bytes = randomBytes(ELEMENT_BYTES);
    bytes[0]! &= 0x7f;
    const v = BigInt(`0x${bytes.toString("hex")}`);
    if (v < FIELD_PRIME) return v;
  }
}

function chunkCount(secretLength: number): number {
  return Math.max(1, Math.ceil(secretLength / CHUNK_BYTES));
}

function checkXs(xs: readonly number[]): void {
  const seen = new Set<number>();
  for (const x of xs) {
    if (!Number.isSafeInteger(x) || x < 1) {
      throw new SecAggError("protocol-violation", `share x must be a positive integer, got ${x}`);
    }
    if (seen.has(x)) throw new SecAggError("protocol-violation", `duplicate share x = ${x}`);
    seen.add(x);
  }
}

/** Splits `secret` into one share per x in `xs`; any `threshold` of them reconstruct it. */
export function splitSecret(
  secret: Uint8Array,
  threshold: number,
  xs: readonly number[],
): ShamirShare[] {
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > xs.length) {
    throw new SecAggError(
      "invalid-config",
      `threshold must be an integer in [1, ${xs.length}] (holders), got ${threshold}`,
    );
  }
  checkXs(xs);
  const polys: bigint[][] = [];
  for (let c = 0; c < chunkCount(secret.length); c++) {
    const chunk = Buffer.from(secret.subarray(c * CHUNK_BYTES, (c + 1) * CHUNK_BYTES));
    const constant = chunk.length === 0 ? 0n : BigInt(`0x${chunk.toString("hex")}`);
    const coefficients = [constant];
    for (let d = 1; d < threshold; d++) coefficients.push(randomFieldElement());
    polys.push(coefficients);
  }
  return xs.map((x) => {
    const bx = BigInt(x);
    const ys = polys.map((coefficients) => {
      let y = 0n; // Horner
      for (let d = coefficients.length - 1; d >= 0; d--) y = mod(y * bx + coefficients[d]!);
      return y;
    });
    return { x, ys };
  });
}

/** Lagrange interpolation at 0 of whatever shares it is given, with no threshold check. */
export function interpolateAtZero(shares: readonly ShamirShare[]): bigint[] {
  checkXs(shares.map((s) => s.x));
  const chunks = shares[0]?.ys.length ?? 0;
  const result = new Array<bigint>(chunks).fill(0n);
  for (let j = 0; j < shares.length; j++) {
    const xj = BigInt(shares[j]!.x);
    let num = 1n;
    let den = 1n;
    for (let m = 0; m < shares.length; m++) {
      if (m === j) continue;
      const xm = BigInt(shares[m]!.x);
      num = mod(num * xm);
      den = mod(den * (xm - xj));
    }
    const lambda = mod(num * inverse(den));
    const ys = shares[j]!.ys;
    if (ys.length !== chunks) {
      throw new SecAggError("protocol-violation", "shares of different secret lengths");
    }
    for (let c = 0; c < chunks; c++) result[c] = mod(result[c]! + lambda * ys[c]!);
  }
  return result;
}

/**
 * Reconstructs a `secretLength`-byte secret from at least `threshold` shares (the `threshold`
 * with the smallest x are used). Throws when there are fewer shares, or when the interpolated
 * chunks cannot be a secret of that length (the tell-tale of mixed or corrupted shares).
 */
export function combineShares(
  shares: readonly ShamirShare[],
  threshold: number,
  secretLength: number,
): Uint8Array {
  if (shares.length < threshold) {
    throw new SecAggError(
      "too-few-clients",
      `need ${threshold} shares to reconstruct the secret, have ${shares.length}`,
    );
  }
  const used = [...shares].sort((a, b) => a.x - b.x).slice(0, threshold);
  const chunks = interpolateAtZero(used);
  if (chunks.length !== chunkCount(secretLength)) {
    throw new SecAggError(
      "protocol-violation",
      `shares hold ${chunks.length} field elements, a ${secretLength}-byte secret needs ${chunkCount(secretLength)}`,
    );
  }
  const out = Buffer.alloc(secretLength);
  chunks.forEach((value, c) => {
    const width = Math.min(CHUNK_BYTES, secretLength - c * CHUNK_BYTES);
    if (value >> BigInt(8 * width) !== 0n) {
      throw new SecAggError("inconsistent-shares", "shares do not interpolate to a valid secret");
    }
    if (width > 0) {
      Buffer.from(value.toString(16).padStart(2 * width, "0"), "hex").copy(out, c * CHUNK_BYTES);
    }
  });
  return new Uint8Array(out);
}

/** Wire form: the field elements as one hex string of 16-byte big-endian words. */
export function shareValueToHex(share: ShamirShare): string {
  return share.ys.map((y) => y.toString(16).padStart(2 * ELEMENT_BYTES, "0")).join("");
}

export function shareFromHex(x: number, hex: string): ShamirShare {
  if (!/^([0-9a-f]{32})+$/.test(hex)) {
    throw new SecAggError("protocol-violation", "a share value must be 16-byte hex words");
  }
  const ys: bigint[] = [];
  for (let i = 0; i < hex.length; i += 2 * ELEMENT_BYTES) {
    const y = BigInt(`0x${hex.slice(i, i + 2 * ELEMENT_BYTES)}`);
    if (y >= FIELD_PRIME) throw new SecAggError("protocol-violation", "share value outside GF(p)");
    ys.push(y);
  }
  return { x, ys };
}

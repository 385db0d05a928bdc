// The pseudorandom generator that turns a 32-byte seed into a mask: AES-256-CTR keyed by the seed,
// zero IV, run over zero bytes, read as little-endian uint32 words. A seed is only ever expanded
// once per session (self-mask seeds are fresh; pair seeds come from HKDF with the session id as
// salt), so the fixed IV never repeats a keystream across different masks. AES-NI makes this a few
// milliseconds for a 1.7M-parameter model.
import { createCipheriv, hkdfSync } from "node:crypto";
import { endianness } from "node:os";
import { SecAggError } from "./secagg-error.js";

export const SEED_BYTES = 32;
const ZERO_IV = Buffer.alloc(16);
let zeros = Buffer.alloc(0);

/** A shared, read-only run of zero bytes (the CTR plaintext), grown on demand. */
function zeroBytes(length: number): Buffer {
  if (zeros.length < length) zeros = Buffer.alloc(length);
  return zeros.subarray(0, length);
}

if (endianness() !== "LE") {
  // Masks and masked vectors are exchanged as little-endian bytes through typed-array views.
  throw new Error("secure aggregation needs a little-endian platform");
}

function checkSeed(seed: Uint8Array): void {
  if (seed.length !== SEED_BYTES) {
    throw new SecAggError(
      "protocol-violation",
      `a mask seed is ${SEED_BYTES} bytes, got ${seed.length}`,
    );
  }
}

/** A stateful AES-256-CTR keystream; successive reads continue the stream. */
export class SeededStream {
  private readonly cipher;
  constructor(seed: Uint8Array) {
    checkSeed(seed);
    this.cipher = createCipheriv("aes-256-ctr", seed, ZERO_IV);
  }

  /** The next `count` uint32 words of the stream. */
  words(count: number): Uint32Array {
    const bytes = this.cipher.update(zeroBytes(4 * count));
    if (bytes.byteOffset % 4 === 0 && bytes.length === 4 * count) {
      return new Uint32Array(bytes.buffer, bytes.byteOffset, count);
    }
    // Node hands small outputs back as unaligned slices of its pool: copy those.
    const out = new Uint32Array(count);
    new Uint8Array(out.buffer).set(bytes);
    return out;
  }
}

/** PRG(seed): `length` uniformly random elements of Z_{2^32}. */
export function expandMask(seed: Uint8Array, length: number): Uint32Array {
  return new SeededStream(seed).words(length);
}

/** acc += PRG(seed) (sign +1) or acc -= PRG(seed) (sign -1), mod 2^32, in place. */
export function applyMask(acc: Uint32Array, seed: Uint8Array, sign: 1 | -1): void {
  const mask = expandMask(seed, acc.length);
  if (sign === 1) for (let i = 0; i < acc.length; i++) acc[i] = acc[i]! + mask[i]!;
  else for (let i = 0; i < acc.length; i++) acc[i] = acc[i]! - mask[i]!;
}

/** A 32-byte seed derived from key material, bound to the session and a purpose label. */
export function deriveSeed(
  keyMaterial: Uint8Array,
  sessionId: string,
  purpose: string,
): Uint8Array {
  return new Uint8Array(
    hkdfSync(
      "sha256",
      keyMaterial,
      Buffer.from(sessionId, "utf8"),
      `fedledger/secagg/v1/${purpose}`,
      SEED_BYTES,
    ),
  );
}

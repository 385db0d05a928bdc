// Masked vectors on the wire, base64: the Z_{2^32} elements as little-endian uint32 bytes, or, in
// a quantised session's ring Z_{2^r} (r < 32), each element's low r bits packed LSB first.
import { SecAggError } from "./secagg-error.js";

const packedBytes = (length: number, ringBits: number) => Math.ceil((length * ringBits) / 8);

export function ringVectorToBase64(vector: Uint32Array, ringBits = 32): string {
  if (ringBits === 32)
    return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString("base64");
  const out = new Uint8Array(packedBytes(vector.length, ringBits));
  let acc = 0;
  let bits = 0;
  let at = 0;
  const mask = 2 ** ringBits - 1;
  for (const v of vector) {
    // At most 7 pending bits plus r <= 31 new ones: fits a double's 53-bit integer range.
    acc += (v & mask) * 2 ** bits;
    bits += ringBits;
    while (bits >= 8) {
      out[at++] = acc % 256;
      acc = Math.floor(acc / 256);
      bits -= 8;
    }
  }
  if (bits > 0) out[at] = acc;
  return Buffer.from(out).toString("base64");
}

export function ringVectorFromBase64(
  text: string,
  expectedLength: number,
  ringBits = 32,
): Uint32Array {
  const byteLength = ringBits === 32 ? 4 * expectedLength : packedBytes(expectedLength, ringBits);
  if (text.length !== 4 * Math.ceil(byteLength / 3)) {
    throw new SecAggError(
      "protocol-violation",
      `a masked vector of ${expectedLength} ${ringBits}-bit elements is ${4 * Math.ceil(byteLength / 3)} base64 characters, got ${text.length}`,
    );
  }
  const bytes = Buffer.from(text, "base64");
  if (bytes.length !== byteLength) {
    throw new SecAggError("protocol-violation", "masked vector is not valid base64");
  }
  const out = new Uint32Array(expectedLength);
  if (ringBits === 32) {
    new Uint8Array(out.buffer).set(bytes);
    return out;
  }
  let acc = 0;
  let bits = 0;
  let at = 0;
  const modulus = 2 ** ringBits;
  for (let i = 0; i < expectedLength; i++) {
    while (bits < ringBits) {
      acc += bytes[at++]! * 2 ** bits;
      bits += 8;
    }
    out[i] = acc % modulus;
    acc = Math.floor(acc / modulus);
    bits -= ringBits;
  }
  if (acc !== 0)
    throw new SecAggError("protocol-violation", "masked vector's padding bits are not zero");
  return out;
}

// Masked vectors on the wire: the Z_{2^32} elements as little-endian uint32 bytes, base64.
import { SecAggError } from "./secagg-error.js";

export function ringVectorToBase64(vector: Uint32Array): string {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString("base64");
}

export function ringVectorFromBase64(text: string, expectedLength: number): Uint32Array {
  const byteLength = 4 * expectedLength;
  if (text.length !== 4 * Math.ceil(byteLength / 3)) {
    throw new SecAggError(
      "protocol-violation",
      `a masked vector of ${expectedLength} elements is ${4 * Math.ceil(byteLength / 3)} base64 characters, got ${text.length}`,
    );
  }
  const bytes = Buffer.from(text, "base64");
  if (bytes.length !== byteLength) {
    throw new SecAggError("protocol-violation", "masked vector is not valid base64");
  }
  const out = new Uint32Array(expectedLength);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

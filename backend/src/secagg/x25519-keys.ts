// X25519 key pairs as raw 32-byte values: public keys travel as hex, the mask-agreement secret key
// is Shamir-shared as raw bytes and rebuilt by the server for a client that dropped out.
import {
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  type KeyObject,
} from "node:crypto";
import { SecAggError } from "./secagg-error.js";

export const X25519_KEY_BYTES = 32;
// DER headers of X25519 keys (RFC 8410): PKCS#8 private key and SubjectPublicKeyInfo.
const PKCS8_PREFIX = Buffer.from("302e020100300506032b656e04220420", "hex");
const SPKI_PREFIX = Buffer.from("302a300506032b656e032100", "hex");

export interface X25519KeyPair {
  readonly privateKey: KeyObject;
  /** The raw public key, 32 bytes as 64 hex characters. */
  readonly publicKeyHex: string;
}

export function generateX25519KeyPair(): X25519KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync("x25519");
  return { privateKey, publicKeyHex: rawPublicKey(publicKey).toString("hex") };
}

function rawPublicKey(publicKey: KeyObject): Buffer {
  const der = publicKey.export({ format: "der", type: "spki" });
  return der.subarray(der.length - X25519_KEY_BYTES);
}

export function rawPrivateKey(privateKey: KeyObject): Uint8Array {
  const der = privateKey.export({ format: "der", type: "pkcs8" });
  return new Uint8Array(der.subarray(der.length - X25519_KEY_BYTES));
}

export function privateKeyFromRaw(raw: Uint8Array): KeyObject {
  if (raw.length !== X25519_KEY_BYTES) {
    throw new SecAggError(
      "protocol-violation",
      `an X25519 private key is 32 bytes, got ${raw.length}`,
    );
  }
  return createPrivateKey({
    key: Buffer.concat([PKCS8_PREFIX, raw]),
    format: "der",
    type: "pkcs8",
  });
}

export function publicKeyFromHex(hex: string): KeyObject {
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new SecAggError(
      "protocol-violation",
      "an X25519 public key is 32 bytes of lowercase hex",
    );
  }
  return createPublicKey({
    key: Buffer.concat([SPKI_PREFIX, Buffer.from(hex, "hex")]),
    format: "der",
    type: "spki",
  });
}

/** The public key (hex) that belongs to a private key. */
export function publicKeyHexOf(privateKey: KeyObject): string {
  return rawPublicKey(createPublicKey(privateKey)).toString("hex");
}

/** The X25519 shared secret; throws on a degenerate (low-order) peer key. */
export function agree(privateKey: KeyObject, peerPublicKeyHex: string): Uint8Array {
  try {
    return new Uint8Array(
      diffieHellman({ privateKey, publicKey: publicKeyFromHex(peerPublicKeyHex) }),
    );
  } catch (e) {
    if (e instanceof SecAggError) throw e;
    throw new SecAggError("protocol-violation", `key agreement failed: ${(e as Error).message}`);
  }
}

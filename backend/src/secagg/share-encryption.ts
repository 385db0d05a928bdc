// Pairwise authenticated encryption of Shamir shares (round 1). Client u encrypts the shares it
// gives client v under k_uv = HKDF-SHA256(X25519(c_sk_u, c_pk_v), salt = session id), which v
// derives as X25519(c_sk_v, c_pk_u); the server only routes the ciphertexts. AES-256-GCM with a
// random 96-bit nonce; the session id, sender and recipient are the associated data and are
// repeated inside the plaintext, so a ciphertext cannot be replayed into another session or
// redirected to another pair. Wire form: base64(nonce || ciphertext || tag).
import {
  createCipheriv,
  createDecipheriv,
  hkdfSync,
  randomBytes,
  type KeyObject,
} from "node:crypto";
import { SecAggError } from "./secagg-error.js";
import { agree } from "./x25519-keys.js";

const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** The shares one client hands another: of its mask-agreement secret key and its self-mask seed. */
export interface SharePayload {
  readonly from: string;
  readonly to: string;
  /** Hex Shamir share of the sender's s_sk, at the recipient's x. */
  readonly secretKeyShare: string;
  /** Hex Shamir share of the sender's self-mask seed b_u, at the recipient's x. */
  readonly selfMaskShare: string;
}

export function shareEncryptionKey(
  cPrivateKey: KeyObject,
  peerCPublicKeyHex: string,
  sessionId: string,
): Buffer {
  const shared = agree(cPrivateKey, peerCPublicKeyHex);
  return Buffer.from(
    hkdfSync(
      "sha256",
      shared,
      Buffer.from(sessionId, "utf8"),
      "fedledger/secagg/v1/share-encryption",
      32,
    ),
  );
}

function associatedData(sessionId: string, from: string, to: string): Buffer {
  return Buffer.from(JSON.stringify(["fedledger/secagg/v1", sessionId, from, to]), "utf8");
}

export function encryptShares(key: Buffer, sessionId: string, payload: SharePayload): string {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  cipher.setAAD(associatedData(sessionId, payload.from, payload.to));
  const body = Buffer.concat([cipher.update(JSON.stringify(payload), "utf8"), cipher.final()]);
  return Buffer.concat([nonce, body, cipher.getAuthTag()]).toString("base64");
}

export function decryptShares(
  key: Buffer,
  sessionId: string,
  from: string,
  to: string,
  ciphertext: string,
): SharePayload {
  const bytes = Buffer.from(ciphertext, "base64");
  if (bytes.length < NONCE_BYTES + TAG_BYTES) {
    throw new SecAggError("decryption-failed", `share ciphertext from ${from} is too short`);
  }
  let plain: string;
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, bytes.subarray(0, NONCE_BYTES));
    decipher.setAAD(associatedData(sessionId, from, to));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    plain = Buffer.concat([
      decipher.update(bytes.subarray(NONCE_BYTES, bytes.length - TAG_BYTES)),
      decipher.final(),
    ]).toString("utf8");
  } catch {
    throw new SecAggError(
      "decryption-failed",
      `share ciphertext from ${from} to ${to} failed authentication (tampered or misrouted)`,
    );
  }
  let payload: Partial<SharePayload> | null;
  try {
    payload = JSON.parse(plain) as Partial<SharePayload> | null;
  } catch {
    payload = null;
  }
  if (
    !payload ||
    payload.from !== from ||
    payload.to !== to ||
    typeof payload.secretKeyShare !== "string" ||
    typeof payload.selfMaskShare !== "string"
  ) {
    throw new SecAggError("decryption-failed", `share payload from ${from} names the wrong pair`);
  }
  return payload as SharePayload;
}

// The protocol's messages, client -> server and server -> client, one pair per round. Every message
// is plain JSON (strings, numbers, arrays): hex for keys, shares and commitments, base64 for
// ciphertexts and masked vectors. Each carries a `type` and the `sessionId`, so an HTTP endpoint
// can route and validate it with these schemas.
//
//   round 0 AdvertiseKeys     client: AdvertiseKeysMessage    server: KeyRosterMessage
//   round 1 ShareKeys         client: ShareKeysMessage        server: ShareDeliveryMessage (one per client)
//   round 2 MaskedInput       client: MaskedInputMessage      server: UnmaskRequestMessage
//   round 3 Unmasking         client: UnmaskingMessage        server: the result (sum, survivors, dropped)
import { z } from "zod";
import { SecAggError } from "./secagg-error.js";

const ClientId = z.string().min(1).max(200);
const SessionId = z.string().min(1).max(200);
const PublicKeyHex = z.string().regex(/^[0-9a-f]{64}$/, "expected a 32-byte X25519 key in hex");
const ShareHex = z
  .string()
  .regex(/^([0-9a-f]{32}){1,64}$/, "expected a Shamir share as 16-byte hex words");
const Base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, "expected base64");

/** A hex signature over a client's advertised keys (at most 1 KiB, e.g. 65-byte ECDSA). */
const KeySignature = z
  .string()
  .regex(/^0x(?:[0-9a-fA-F]{2}){1,1024}$/, "a 0x-prefixed hex signature");

export const AdvertiseKeysMessageSchema = z.object({
  type: z.literal("secagg/advertise-keys"),
  sessionId: SessionId,
  clientId: ClientId,
  /** c_pk: X25519 key for encrypting shares. */
  cPublicKey: PublicKeyHex,
  /** s_pk: X25519 key for agreeing pair-mask seeds. */
  sPublicKey: PublicKeyHex,
  /**
   * Optional: the client's signature of its keys with a long-term identity its peers can check
   * (FedLedger: the node's registered wallet), which the server passes on in the roster so that
   * it cannot substitute keys of its own (the malicious-server variant of Bonawitz et al.).
   */
  signature: KeySignature.optional(),
});

export const KeyRosterMessageSchema = z.object({
  type: z.literal("secagg/key-roster"),
  sessionId: SessionId,
  /** U1, sorted by client id; `index` (1..n) is the client's Shamir x and its mask ordering. */
  clients: z.array(
    z.object({
      clientId: ClientId,
      index: z.number().int().min(1),
      cPublicKey: PublicKeyHex,
      sPublicKey: PublicKeyHex,
      signature: KeySignature.optional(),
    }),
  ),
});

export const ShareKeysMessageSchema = z.object({
  type: z.literal("secagg/share-keys"),
  sessionId: SessionId,
  clientId: ClientId,
  /** SHA-256 commitment to the self-mask seed b_u, so the server can check its reconstruction. */
  selfMaskCommitment: z.string().regex(/^[0-9a-f]{64}$/, "expected a SHA-256 hex digest"),
  /** One AES-GCM ciphertext per neighbour, holding that neighbour's shares of s_sk and b_u. */
  ciphertexts: z.array(z.object({ to: ClientId, ciphertext: Base64 })),
});

export const ShareDeliveryMessageSchema = z.object({
  type: z.literal("secagg/share-delivery"),
  sessionId: SessionId,
  /** The recipient. */
  to: ClientId,
  /** The ciphertexts addressed to `to` by its neighbours that completed ShareKeys (U2). */
  ciphertexts: z.array(z.object({ from: ClientId, ciphertext: Base64 })),
});

export const MaskedInputMessageSchema = z.object({
  type: z.literal("secagg/masked-input"),
  sessionId: SessionId,
  clientId: ClientId,
  /** y_u as little-endian uint32 words, base64 (length-checked when decoded, not by a regex: it is megabytes). */
  maskedInput: z.string(),
});

export const UnmaskRequestMessageSchema = z.object({
  type: z.literal("secagg/unmask-request"),
  sessionId: SessionId,
  /** U3: the clients whose masked input the server holds. Everyone else in U2 dropped. */
  survivors: z.array(ClientId),
});

const OwnedShare = z.object({ owner: ClientId, share: ShareHex });

export const UnmaskingMessageSchema = z.object({
  type: z.literal("secagg/unmasking"),
  sessionId: SessionId,
  clientId: ClientId,
  /** Shares of b_owner for owners that survived (their self masks must be removed). */
  selfMaskShares: z.array(OwnedShare),
  /** Shares of s_sk of owners that dropped (their pair masks must be removed). */
  secretKeyShares: z.array(OwnedShare),
});

export type AdvertiseKeysMessage = z.infer<typeof AdvertiseKeysMessageSchema>;
export type KeyRosterMessage = z.infer<typeof KeyRosterMessageSchema>;
export type ShareKeysMessage = z.infer<typeof ShareKeysMessageSchema>;
export type ShareDeliveryMessage = z.infer<typeof ShareDeliveryMessageSchema>;
export type MaskedInputMessage = z.infer<typeof MaskedInputMessageSchema>;
export type UnmaskRequestMessage = z.infer<typeof UnmaskRequestMessageSchema>;
export type UnmaskingMessage = z.infer<typeof UnmaskingMessageSchema>;

/** Validates a message (e.g. a parsed HTTP body) against its schema and its session. */
export function parseMessage<T>(schema: z.ZodType<T>, message: unknown, sessionId: string): T {
  const parsed = schema.safeParse(message);
  if (!parsed.success) {
    throw new SecAggError(
      "protocol-violation",
      `malformed message: ${parsed.error.issues.map((i) => `${i.path.join(".") || "message"}: ${i.message}`).join("; ")}`,
    );
  }
  const session = (parsed.data as { sessionId: string }).sessionId;
  if (session !== sessionId) {
    throw new SecAggError(
      "protocol-violation",
      `message for session ${session} sent to session ${sessionId}`,
    );
  }
  return parsed.data;
}
